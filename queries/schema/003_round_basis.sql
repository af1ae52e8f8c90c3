-- 003_round_basis: votes from a source that keeps only a story's last round (every poker
-- tool's export: a revote wipes the cards before it) are marked, and so are the rounds they
-- make, so that figures needing the earlier rounds (first-round spread, spread change, rounds
-- to consensus, calibration, split signals 1-3) say "unknown" instead of treating the last
-- round as the first. Rows stored before are complete rounds (NULL reads as false).
alter table votes add column last_round_only boolean;
alter table round_stats add column last_round_only boolean;
