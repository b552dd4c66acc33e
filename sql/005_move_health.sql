-- The data of 004's new shapes: health reports out of the update history,
-- reason classes, and 1-based stage numbers in stored event details.

-- Health reports used to be history events with their fields as text.
INSERT INTO health_samples (device, at, fw_version, boot_ok, selftest_ok,
    crash_count, uptime_s, unhealthy)
SELECT device, at, substr(detail, 12, instr(detail, ' boot_ok=') - 12),
    instr(detail, ' boot_ok=true') > 0, instr(detail, ' selftest=pass') > 0,
    CAST(substr(detail, instr(detail, ' crash_count=') + 13) AS INTEGER),
    CAST(substr(detail, instr(detail, ' uptime_s=') + 10) AS INTEGER),
    state = 'unhealthy'
FROM device_events
WHERE kind = 'health' AND detail LIKE 'fw_version=% boot_ok=% selftest=% crash_count=% uptime_s=%'
ORDER BY id;
DELETE FROM health_samples WHERE id IN (SELECT id FROM (SELECT id,
    ROW_NUMBER() OVER (PARTITION BY device ORDER BY id DESC) AS n
    FROM health_samples) WHERE n > 100);
INSERT INTO device_health (device, at, fw_version, boot_ok, selftest_ok,
    crash_count, uptime_s, unhealthy, reports, unhealthy_reports, crashes,
    first_at, sampled_at)
SELECT s.device, s.at, s.fw_version, s.boot_ok, s.selftest_ok, s.crash_count,
    s.uptime_s, s.unhealthy, g.n, g.bad, g.crashes, g.first, s.at
FROM health_samples s JOIN (SELECT device, MAX(id) AS last, COUNT(*) AS n,
    SUM(unhealthy) AS bad, SUM(crash_count) AS crashes, MIN(at) AS first
    FROM health_samples GROUP BY device) g ON s.id = g.last;
DELETE FROM device_events WHERE kind = 'health';

-- Reasons are classes now; a timeout was spelled report_timeout.
UPDATE campaign_devices SET reason = 'timeout' WHERE reason = 'report_timeout';
UPDATE campaign_devices SET reason = 'other' WHERE reason IS NOT NULL AND
    reason NOT IN ('selftest', 'crash_on_boot', 'hash', 'length', 'signature',
    'expired', 'rollback', 'incompatible', 'freeze', 'download',
    'slow_retrieval', 'install', 'timeout', 'fallback', 'unhealthy', 'flash');
UPDATE device_events SET reason = 'timeout' WHERE reason = 'report_timeout';

-- Stage numbers users see are 1-based; the stored stage index stays 0-based.
UPDATE campaign_events SET detail = json_set(detail, '$.stage',
    json_extract(detail, '$.stage') + 1)
WHERE json_valid(detail) AND json_type(detail, '$.stage') = 'integer';
UPDATE campaigns SET verdict_detail = json_set(verdict_detail, '$.stage',
    json_extract(verdict_detail, '$.stage') + 1)
WHERE json_valid(verdict_detail) AND
    json_type(verdict_detail, '$.stage') = 'integer';
