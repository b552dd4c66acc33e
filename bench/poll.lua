-- wrk script for bench/poll: GET /v1/device/update with a different
-- device token and a fresh nonce on every request. The same script drives
-- otad and nginx, so both see the same requests and wrk does the same work.
-- Usage: wrk ... -s poll.lua URL -- TOKENS_FILE
local tokens, ntokens = {}, 0
local count = 0
local nthreads = 0

function setup(thread)
	thread:set("tid", nthreads)
	nthreads = nthreads + 1
end

function init(args)
	for line in io.lines(args[1]) do
		ntokens = ntokens + 1
		tokens[ntokens] = { Authorization = "Bearer " .. line }
	end
	-- Threads start far apart so they do not poll the same devices.
	count = (tid or 0) * 50021
end

function request()
	count = count + 1
	return wrk.format("GET", string.format(
	    "/v1/device/update?fw_version=1.0.0&nonce=t%d-%09d", tid or 0, count),
	    tokens[count % ntokens + 1])
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("RESULT requests=%d duration_us=%d "
	    .. "p50_us=%d p90_us=%d p99_us=%d max_us=%d connect=%d read=%d "
	    .. "write=%d timeout=%d non2xx=%d\n",
	    summary.requests, summary.duration,
	    latency:percentile(50), latency:percentile(90),
	    latency:percentile(99), latency.max, e.connect, e.read, e.write,
	    e.timeout, e.status))
end
