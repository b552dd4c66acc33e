-- Operators' lifecycle of devices (docs/api.md, "Devices"): a
-- decommissioned device keeps its row and history but no token works for
-- it and no campaign takes it. NULL: in service.
ALTER TABLE devices ADD COLUMN decommissioned_at INTEGER;
