-- wrk script: single-event structured POSTs to herald serve, each event with its own id, so that every
-- request stores an event (a repeated id would only be answered as a duplicate). wrk reports any answer other
-- than 2xx as "Non-2xx or 3xx responses".
-- Usage: wrk -t2 -c64 -d10s -s scripts/bench/wrk-post-event.lua http://127.0.0.1:8080/v1/events

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  counter = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/cloudevents+json"
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"specversion":"1.0","id":"wrk-%d-%d-%d","source":"/wrk","type":"bench.wrk",' ..
    '"datacontenttype":"application/json","data":{"order":"A-1001","total":42.5,"currency":"EUR"}}',
    os.time(), tid, counter)
  return wrk.format(nil, nil, nil, body)
end
