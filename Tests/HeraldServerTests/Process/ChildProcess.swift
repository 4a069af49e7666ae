import Foundation

/// A child process started with `posix_spawn`, its standard error read line by line and its exit reaped by
/// threads of its own.
///
/// Foundation's `Process` is not used: on Linux its pipes can be inherited by other children that tests start
/// at the same moment (a browser, say), which keeps them open after this child exits, and its termination
/// notification has been seen to go missing. Here both pipe ends are close-on-exec, and `waitpid` on the child's
/// own pid reports its exit.
final class ChildProcess: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let pid: pid_t
    /// Lines the child writes to standard error; finishes at end of file.
    let errorLines: AsyncStream<String>
    /// The exit status once the child exits (128 + the signal for a child killed by one); then finishes.
    let exit: AsyncStream<Int32>

    /// Starts `executable` with `arguments` and exactly `environment`. Standard output goes to /dev/null, or
    /// with `closedStandardOutput` to a pipe nobody reads, as `| head` leaves it once `head` is done.
    init(
        executable: String, arguments: [String], environment: [String: String], closedStandardOutput: Bool = false
    ) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw Failure(description: "pipe failed: errno \(errno)") }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        var outputFDs: [Int32] = [-1, -1]
        if closedStandardOutput {
            guard pipe(&outputFDs) == 0 else { throw Failure(description: "pipe failed: errno \(errno)") }
            _ = fcntl(outputFDs[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(outputFDs[1], F_SETFD, FD_CLOEXEC)
            // Nobody will read: close the read end, so that the child's writes fail with EPIPE.
            close(outputFDs[0])
            posix_spawn_file_actions_adddup2(&actions, outputFDs[1], 1)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var spawned: pid_t = 0
        let result = posix_spawn(&spawned, executable, &actions, nil, argv, envp)
        let pid = spawned
        close(fds[1])
        if outputFDs[1] >= 0 { close(outputFDs[1]) }
        guard result == 0 else {
            close(fds[0])
            throw Failure(description: "posix_spawn \(executable) failed: error \(result)")
        }
        self.pid = pid

        let readEnd = fds[0]
        let (lines, linesContinuation) = AsyncStream<String>.makeStream()
        errorLines = lines
        Thread.detachNewThread {
            var pending: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = read(readEnd, &chunk, chunk.count)
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                for byte in chunk[..<count] {
                    if byte == UInt8(ascii: "\n") {
                        linesContinuation.yield(String(decoding: pending, as: UTF8.self))
                        pending.removeAll(keepingCapacity: true)
                    } else {
                        pending.append(byte)
                    }
                }
            }
            if !pending.isEmpty { linesContinuation.yield(String(decoding: pending, as: UTF8.self)) }
            close(readEnd)
            linesContinuation.finish()
        }

        let (exit, exitContinuation) = AsyncStream<Int32>.makeStream()
        self.exit = exit
        Thread.detachNewThread {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 {
                guard errno == EINTR else { break }
            }
            let signal = status & 0x7f
            exitContinuation.yield(signal == 0 ? (status >> 8) & 0xff : 128 + signal)
            exitContinuation.finish()
        }
    }

    /// Waits, up to `timeout`, for the child to exit and returns its status; kills it (SIGKILL) and throws when
    /// it takes longer.
    func waitForExit(timeout: Duration) async throws -> Int32 {
        let exit = self.exit
        do {
            return try await withDeadline(timeout, "the child exiting") {
                var iterator = exit.makeAsyncIterator()
                guard let status = await iterator.next() else { throw Failure(description: "no exit status") }
                return status
            }
        } catch {
            kill(pid, SIGKILL)
            throw error
        }
    }

    /// Every line of standard error until the child closes it, or those read when `timeout` runs out.
    func allErrorLines(timeout: Duration) async throws -> [String] {
        let lines = errorLines
        let collected = Collected()
        try await withDeadline(timeout, "the child closing standard error") {
            for await line in lines { await collected.append(line) }
        }
        return await collected.lines
    }
}

/// Lines gathered by one task for another.
actor Collected {
    private(set) var lines: [String] = []
    func append(_ line: String) { lines.append(line) }
}
