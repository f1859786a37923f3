-- wrk script: POST /api/v1/pegawai/{nip}/sinkron for a random (token, nip) line of targets.txt
local targets = {}
for line in io.lines(os.getenv("SELARAS_BENCH_TARGETS") or "bench/out/targets.txt") do
  local token, nip = line:match("^(%S+)%s+(%S+)$")
  if token then targets[#targets + 1] = {token, nip} end
end
math.randomseed(os.time())
local accepted, refused = 0, 0

request = function()
  local t = targets[math.random(#targets)]
  return wrk.format("POST", "/api/v1/pegawai/" .. t[2] .. "/sinkron",
    {["Authorization"] = "Bearer " .. t[1], ["Content-Type"] = "application/json"}, '{"flow":"skp"}')
end
