-- stg_fomc_calendar: scheduled FOMC meetings (the bundled Fed calendar or a snapshot's fomc_calendar), with the day a decision takes effect.
-- @column meeting_date: the meeting's second day, when the statement is released (2 p.m. ET).
-- @column first_day: the meeting's first day.
-- @column effective_date: meeting_date + 1: the first day the new rate applies (the FedWatch convention).
SELECT meeting_date, first_day, CAST(meeting_date + INTERVAL 1 DAY AS DATE) AS effective_date
FROM raw.fomc_calendar
