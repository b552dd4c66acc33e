-- wrk script for bench/poll: GET /v1/device/update with a different
-- device token and a fresh nonce on every request, or (mode "health") a
-- health report POST /v1/device/health of a different device each time,
-- or (mode "download:PATH") a GET of PATH (an artifact), or (mode
-- "range:PATH:SIZE") a GET of PATH from a random offset in its first
-- half to the end, as a resumed download asks (Range: bytes=N-).
-- The same script drives otad and nginx, so both see the same requests
-- and wrk does the same work.
-- Usage: wrk ... -s poll.lua URL -- TOKENS_FILE [health|poll|download:PATH|
-- range:PATH:SIZE] [OFFSET [STRIDE]]
-- (OFFSET: where in the tokens this wrk's first thread starts, STRIDE:
-- how far apart its threads start. bench/poll moves OFFSET on after each
-- run, so that runs go on where the last stopped and the rounds walk the
-- whole fleet; two wrk processes on two daemons start half the tokens
-- apart, as a load balancer spreads devices, rather than each daemon
-- seeing the same device at once)
-- WRK_DELAY_MS in the environment paces each connection: that many ms
-- before each request (wrk looks for delay() once, when it loads this).
local delay_ms = tonumber(os.getenv("WRK_DELAY_MS") or "")
if delay_ms then
	function delay()
		return delay_ms
	end
end

local tokens, ntokens = {}, 0
local count = 0
local nthreads = 0
local health = false
local path, size = nil, nil

function setup(thread)
	thread:set("tid", nthreads)
	nthreads = nthreads + 1
end

function init(args)
	health = args[2] == "health"
	path = string.match(args[2] or "", "^download:(.+)$")
	local rpath, rsize = string.match(args[2] or "", "^range:([^:]+):(%d+)$")
	if rpath then
		path, size = rpath, tonumber(rsize)
	end
	for line in io.lines(args[1]) do
		ntokens = ntokens + 1
		tokens[ntokens] = { Authorization = "Bearer " .. line }
		if health then
			tokens[ntokens]["Content-Type"] = "application/json"
		end
	end
	-- Threads start STRIDE tokens apart (the fleet over the threads), so
	-- that they walk the whole fleet, each its own part.
	count = (tonumber(args[3]) or 0) + (tid or 0) * (tonumber(args[4]) or 50021)
	math.randomseed(count)
end

function request()
	count = count + 1
	if health then
		return wrk.format("POST", "/v1/device/health",
		    tokens[count % ntokens + 1], string.format(
		    '{"fw_version":"1.0.0","boot_ok":true,"selftest":"pass",'
		    .. '"crash_count":0,"uptime_s":%d}', count))
	end
	if path and size then
		local h = { Authorization = tokens[count % ntokens + 1].Authorization,
		    Range = string.format("bytes=%d-", math.random(0, math.floor(size / 2))) }
		return wrk.format("GET", path, h)
	elseif path then
		return wrk.format("GET", path, tokens[count % ntokens + 1])
	end
	return wrk.format("GET", string.format(
	    "/v1/device/update?fw_version=1.0.0&nonce=t%d-%09d", tid or 0, count),
	    tokens[count % ntokens + 1])
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("RESULT requests=%d bytes=%d duration_us=%d "
	    .. "p50_us=%d p90_us=%d p99_us=%d max_us=%d connect=%d read=%d "
	    .. "write=%d timeout=%d non2xx=%d\n",
	    summary.requests, summary.bytes, summary.duration,
	    latency:percentile(50), latency:percentile(90),
	    latency:percentile(99), latency.max, e.connect, e.read, e.write,
	    e.timeout, e.status))
end
