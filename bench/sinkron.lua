-- wrk script: POST /api/v1/pegawai/{nip}/sinkron for a random (token, nip) line of targets.txt
local targets = {}
for line in io.lines(os.getenv("SELARAS_BENCH_TARGETS") or "bench/out/targets.txt") do
  local token, nip = line:match("^(%S+)%s+(%S+)$")
  if token then targets[#targets + 1] = {token, nip} end
end
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  -- each wrk thread its own sequence: the same seed would send the same pegawai twice
  math.randomseed(os.time() * 100 + (id or 0))
end

request = function()
  local t = targets[math.random(#targets)]
  return wrk.format("POST", "/api/v1/pegawai/" .. t[2] .. "/sinkron",
    {["Authorization"] = "Bearer " .. t[1], ["Content-Type"] = "application/json"}, '{"flow":"skp"}')
end
