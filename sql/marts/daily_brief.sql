-- daily_brief: one row per section of the day's brief (rotation, valuation, cooling_breakouts, breadth, rates, quality_leaders) for the as-of day: a one-sentence headline, the number behind it and a detail sentence. A section whose input is empty is kept and says so in its detail.
-- @key as_of, section
-- @history as_of
-- @column as_of: the run's as-of day.
-- @column section: rotation, valuation, cooling_breakouts, breadth, rates or quality_leaders.
-- @column section_order: position of the section in the brief (1 = first).
-- @column headline: the section's one-sentence finding.
-- @column value: the number behind the headline: rotation = signed streak_days, valuation = discount_pct, cooling_breakouts = count cooling, breadth = pct_above_50d, rates = implied_cut_bps (bp of easing priced by the year's last meeting), quality_leaders = the top quality_score; null when there is no data.
-- @column detail: supporting facts, or why the section is empty.
-- @column what_followed: rotation only: what followed the earlier comparable streaks, in one sentence with the numbers of streak_outcome_summary (the current streak's direction and length, 21 sessions on): how many, how often the lead beat the base, by how much on average, the same over any 21 sessions, and how rare a run this long is; null for the other sections and when the current streak is shorter than outcome_min_streak.
WITH one AS (
    SELECT 1 AS x
),
-- ------------------------------------------------------------------ rotation
streak_pair AS (
    SELECT pair_id
    FROM marts.relative_strength_streaks
    WHERE date <= $as_of
    GROUP BY pair_id
    ORDER BY pair_id = 'smallcap_vs_largecap' DESC, pair_id
    LIMIT 1
),
streak AS (
    SELECT s.*, lag(s.streak_days) OVER (ORDER BY s.date) AS previous_streak_days
    FROM marts.relative_strength_streaks s
    WHERE s.pair_id IN (SELECT pair_id FROM streak_pair) AND s.date <= $as_of
          AND s.streak_days IS NOT NULL  -- before the pair's first decided session: no streak yet
    QUALIFY s.date = max(s.date) OVER ()
),
-- names from the universe (the label is free text: a label without " vs " cannot be split
-- into two names), else the ticker
streak_named AS (
    SELECT s.*,
           coalesce(nullif(trim(regexp_replace(ul.name, ' Index$', '')), ''), s.lead) AS lead_name,
           coalesce(nullif(trim(regexp_replace(ub.name, ' Index$', '')), ''), s.base) AS base_raw
    FROM streak s
    LEFT JOIN staging.stg_universe ul ON ul.ticker = s.lead
    LEFT JOIN staging.stg_universe ub ON ub.ticker = s.base
),
streak_text AS (
    SELECT *,
           CASE WHEN base_raw = base OR lower(base_raw) LIKE 'the %' THEN base_raw
                ELSE 'the ' || base_raw END AS base_name,
           abs(streak_days) AS run,
           abs(previous_streak_days) AS previous_run,
           -- a streak broke today: today started a new one, and the one before was a streak
           -- (2+ sessions; a 1-session run breaking is no news). After a tie the previous row
           -- repeats the current streak, so a tie day never reads as a break.
           abs(streak_days) = 1 AND sign(previous_streak_days) = -sign(streak_days)
               AND abs(previous_streak_days) >= 2 AS broke
    FROM streak_named
),
rotation AS (
    SELECT 1 AS section_order, 'rotation' AS section,
           CASE
               WHEN t.pair_id IS NULL THEN 'Rotation: no data'
               WHEN t.broke THEN
                   t.lead_name || ' vs ' || t.base_name || ' streak broke: '
                   || CASE WHEN t.streak_days > 0 THEN 'ahead' ELSE 'behind' END
                   || ' for 1 session after ' || t.previous_run
                   || CASE WHEN t.previous_streak_days > 0 THEN ' ahead' ELSE ' behind' END
               ELSE
                   t.lead_name || CASE WHEN t.streak_days > 0 THEN ' ahead of ' ELSE ' behind ' END
                   || t.base_name || ' for ' || t.run || CASE WHEN t.run = 1 THEN ' session' ELSE ' sessions' END
                   || CASE WHEN t.prior_comparable_end IS NOT NULL
                           THEN ', the longest run since ' || strftime(t.prior_comparable_end, '%Y-%m-%d')
                                || ' (' || abs(t.prior_comparable_days)
                                || CASE WHEN abs(t.prior_comparable_days) = 1 THEN ' session)' ELSE ' sessions)' END
                           -- no earlier comparable streak in the loaded history: bounded by where it starts
                           ELSE ', the longest run in the data, which starts '
                                || strftime(t.history_start, '%Y-%m-%d') END
           END AS headline,
           t.streak_days::DOUBLE AS value,
           CASE
               WHEN t.pair_id IS NULL THEN 'no pair with prices for both series in this source'
               ELSE t.label || ' (' || t.lead || ' vs ' || t.base || ') on ' || strftime(t.date, '%Y-%m-%d') || ': '
                    || t.lead_name || ' ' || printf('%+.2f%%', 100 * t.lead_return) || ', '
                    || t.base_raw || ' ' || printf('%+.2f%%', 100 * t.base_return)
                    || '; streak started ' || strftime(t.streak_start, '%Y-%m-%d')
                    || '; longest since the data starts (' || strftime(t.history_start, '%Y-%m-%d') || '): '
                    || abs(t.longest_streak_days)
                    || CASE WHEN abs(t.longest_streak_days) = 1 THEN ' session ' ELSE ' sessions ' END
                    || CASE WHEN t.longest_streak_days > 0 THEN 'ahead' ELSE 'behind' END
                    -- the longest is the current streak: still running, not "ended"
                    || CASE WHEN t.longest_streak_end >= t.streak_start THEN ', the current streak, still running'
                            ELSE ', ended ' || strftime(t.longest_streak_end, '%Y-%m-%d') END || '.'
           END AS detail
    FROM one LEFT JOIN streak_text t ON true
),
-- ------------------------------------------------------------------ valuation
valuation_row AS (
    SELECT *,
           CASE segment WHEN 'small_cap' THEN 'Small caps' WHEN 'large_cap' THEN 'Large caps'
                ELSE segment || ' names' END AS segment_name
    FROM marts.valuation_gap
    WHERE as_of = (SELECT max(as_of) FROM marts.valuation_gap WHERE as_of <= $as_of)
    ORDER BY segment = 'small_cap' DESC, segment = 'large_cap', covered DESC, segment
    LIMIT 1
),
valuation AS (
    SELECT 2 AS section_order, 'valuation' AS section,
           CASE
               WHEN v.segment IS NULL THEN 'Valuation: no data'
               WHEN v.covered = 0 THEN v.segment_name || ': no forward earnings to value'
               WHEN v.forward_pe IS NULL THEN
                   v.segment_name || ' have negative aggregate forward earnings: no meaningful forward P/E'
               WHEN v.large_cap_forward_pe IS NULL OR v.segment = 'large_cap' THEN
                   v.segment_name || ' trade at ' || printf('%.1f', v.forward_pe) || 'x forward earnings'
               ELSE
                   v.segment_name || ' trade at ' || printf('%.1f', v.forward_pe)
                   || 'x forward earnings vs ' || printf('%.1f', v.large_cap_forward_pe)
                   || 'x for large caps: a ' || printf('%.0f', abs(v.discount_pct))
                   || CASE WHEN v.discount_pct >= 0 THEN '% discount' ELSE '% premium' END
           END AS headline,
           v.discount_pct AS value,
           CASE
               WHEN v.segment IS NULL THEN 'no fundamentals in this source'
               ELSE 'Losses included; without the loss-makers '
                    || coalesce(printf('%.1f', v.forward_pe_ex_negative) || 'x', 'n/a')
                    || ' (median name ' || coalesce(printf('%.1f', v.median_forward_pe) || 'x', 'n/a') || '); '
                    || coalesce(printf('%.0f', v.unprofitable_pct) || '%', 'an unknown share')
                    || ' of ' || lower(v.segment_name) || ' unprofitable ('
                    || coalesce(printf('%.0f', v.unprofitable_cap_pct) || '%', 'n/a') || ' of their market cap); '
                    || v.covered || ' of ' || v.constituents || ' names covered; fundamentals as of '
                    || strftime(v.as_of, '%Y-%m-%d') || '.'
           END AS detail
    FROM one LEFT JOIN valuation_row v ON true
),
-- ------------------------------------------------------------------ cooling breakouts
equity_prices AS (
    SELECT count(*) AS n
    FROM staging.stg_prices p
    WHERE p.date <= $as_of
      AND p.ticker IN (SELECT ticker FROM staging.stg_universe WHERE asset_type = 'equity')
),
breakouts AS (
    SELECT count(*) AS total,
           count(*) FILTER (WHERE status = 'cooling') AS cooling,
           count(*) FILTER (WHERE status = 'heating') AS heating,
           count(*) FILTER (WHERE status = 'holding') AS holding,
           count(*) FILTER (WHERE status = 'failed') AS failed,
           list(ticker ORDER BY pullback_pct DESC, ticker) FILTER (WHERE status = 'cooling') AS cooling_names,
           list(ticker || ' ' || printf('%.1f', -pullback_pct) || '% from peak, attention '
                || coalesce(printf('%+.0f%%', attention_change_pct), 'unknown')
                ORDER BY pullback_pct DESC, ticker) FILTER (WHERE status = 'cooling') AS cooling_facts,
           list(ticker ORDER BY ticker) FILTER (WHERE status = 'heating') AS heating_names,
           list(ticker ORDER BY ticker) FILTER (WHERE status = 'failed') AS failed_names
    FROM marts.cooling_breakouts
    -- the table keeps every published day: this day's rows (dated on its equity session)
    WHERE as_of = (SELECT max(date) FROM staging.stg_prices
                    WHERE date <= $as_of
                      AND ticker IN (SELECT ticker FROM staging.stg_universe WHERE asset_type = 'equity'))
),
named_lists AS (
    SELECT *,
           array_to_string(cooling_names[1:$brief_max_names::INTEGER], ', ')
           || CASE WHEN cooling > $brief_max_names::INTEGER
                   THEN ' (+' || (cooling - $brief_max_names::INTEGER) || ' more)' ELSE '' END AS cooling_list,
           array_to_string(cooling_facts[1:$brief_max_names::INTEGER], '; ') AS cooling_detail,
           array_to_string(heating_names[1:$brief_max_names::INTEGER], ', ') AS heating_list,
           array_to_string(failed_names[1:$brief_max_names::INTEGER], ', ') AS failed_list
    FROM breakouts
),
cooling AS (
    SELECT 3 AS section_order, 'cooling_breakouts' AS section,
           CASE
               WHEN e.n = 0 THEN 'Breakouts: no data'
               WHEN b.total = 0 THEN 'No breakouts in the last ' || $breakout_window::INTEGER
                                      || CASE WHEN $breakout_window::INTEGER = 1 THEN ' session' ELSE ' sessions' END
               WHEN b.cooling = 0 THEN 'No breakout is cooling'
               ELSE b.cooling || CASE WHEN b.cooling = 1 THEN ' breakout cooling: ' ELSE ' breakouts cooling: ' END
                    || b.cooling_list
           END AS headline,
           CASE WHEN e.n > 0 THEN b.cooling::DOUBLE END AS value,
           CASE
               WHEN e.n = 0 THEN 'no equity prices in this source'
               WHEN b.total = 0 THEN
                   'no equity closed above its prior ' || $breakout_lookback::INTEGER || '-session high'
                   || CASE WHEN $volume_confirm_ratio = 0 THEN ''
                           ELSE ' on ' || printf('%g', $volume_confirm_ratio) || 'x its average volume' END
                   || ' in the last ' || $breakout_window::INTEGER
                   || CASE WHEN $breakout_window::INTEGER = 1 THEN ' session' ELSE ' sessions' END
               ELSE b.total || CASE WHEN b.total = 1 THEN ' breakout' ELSE ' breakouts' END
                    || ' in the last ' || $breakout_window::INTEGER
                    || CASE WHEN $breakout_window::INTEGER = 1 THEN ' session: ' ELSE ' sessions: ' END
                    || b.cooling || ' cooling, ' || b.heating || ' heating'
                    || CASE WHEN b.heating > 0 THEN ' (' || b.heating_list || ')' ELSE '' END
                    || ', ' || b.holding || ' holding, ' || b.failed || ' failed'
                    || CASE WHEN b.failed > 0 THEN ' (' || b.failed_list || ')' ELSE '' END
                    || CASE WHEN b.cooling > 0 THEN '. ' || b.cooling_detail ELSE '' END || '.'
           END AS detail
    FROM one
    CROSS JOIN equity_prices e
    CROSS JOIN named_lists b
),
-- ------------------------------------------------------------------ breadth
breadth_row AS (
    SELECT *,
           CASE segment WHEN 'small_cap' THEN 'Small caps' WHEN 'large_cap' THEN 'Large caps'
                ELSE segment || ' names' END AS segment_name
    FROM marts.market_breadth
    WHERE as_of = (SELECT max(as_of) FROM marts.market_breadth WHERE as_of <= $as_of)
    ORDER BY segment = 'small_cap' DESC, members DESC, segment
    LIMIT 1
),
breadth AS (
    SELECT 4 AS section_order, 'breadth' AS section,
           CASE
               WHEN b.segment IS NULL THEN 'Breadth: no data'
               ELSE b.segment_name || ': '
                    || coalesce(printf('%.0f', b.pct_above_50d) || '% above their '
                                || $breadth_short_ma_sessions::INTEGER || '-day average',
                                'too little history for a ' || $breadth_short_ma_sessions::INTEGER || '-day average')
                    || CASE
                           WHEN b.equal_weight_return_20d IS NULL THEN ''
                           -- no usable market caps: say what is known, claim no comparison
                           WHEN b.breadth_spread_20d IS NULL THEN
                               '; equal weight ' || printf('%+.1f%%', 100 * b.equal_weight_return_20d)
                               || ' over 20 sessions, no market caps to compare cap weight with'
                           WHEN abs(b.breadth_spread_20d) <= $breadth_spread_tolerance / 100 THEN
                               '; equal weight level with cap weight over 20 sessions ('
                               || CASE b.breadth_signal WHEN 'mixed' THEN 'neither broadening nor narrowing'
                                       ELSE 'too little history for a trend' END || ')'
                           ELSE '; equal weight ' || CASE WHEN b.breadth_spread_20d > 0 THEN 'ahead of' ELSE 'behind' END
                                || ' cap weight by ' || printf('%.1f', abs(100 * b.breadth_spread_20d))
                                || ' pts over 20 sessions ('
                                || CASE b.breadth_signal
                                       WHEN 'broadening' THEN 'broadening'
                                       WHEN 'narrowing' THEN 'narrowing'
                                       WHEN 'mixed' THEN CASE WHEN b.breadth_spread_20d > 0
                                                              THEN 'but not rising: not broadening'
                                                              ELSE 'but not falling: not narrowing' END
                                       ELSE 'too little history for a trend' END || ')'
                       END
           END AS headline,
           b.pct_above_50d AS value,
           CASE
               WHEN b.segment IS NULL THEN 'no equity prices in this source'
               ELSE b.members || ' members on ' || strftime(b.as_of, '%Y-%m-%d') || '; '
                    || coalesce(printf('%.0f', b.pct_above_200d) || '%', 'n/a') || ' above their '
                    || $breadth_long_ma_sessions::INTEGER || '-day average; '
                    || b.new_highs || CASE WHEN b.new_highs = 1 THEN ' new high, ' ELSE ' new highs, ' END
                    || b.new_lows || CASE WHEN b.new_lows = 1 THEN ' new low' ELSE ' new lows' END
                    || '; 20-session return equal weight '
                    || coalesce(printf('%+.1f%%', 100 * b.equal_weight_return_20d), 'n/a') || ' vs cap weight '
                    || coalesce(printf('%+.1f%%', 100 * b.cap_weight_return_20d),
                                'n/a (no market caps at the start of the period)') || '.'
           END AS detail
    FROM one LEFT JOIN breadth_row b ON true
),
-- ------------------------------------------------------------------ rates
rate_row AS (
    SELECT *
    FROM marts.rate_expectations
    WHERE date <= $as_of
    ORDER BY date DESC
    LIMIT 1
),
rates AS (
    SELECT 5 AS section_order, 'rates' AS section,
           CASE
               WHEN r.date IS NULL THEN 'Rates: no data'
               WHEN r.next_meeting IS NULL THEN 'Rate expectations: no per-meeting pricing (no fed funds contract months'
                    || ' or FOMC calendar in this source)'
               ELSE 'Rate expectations: ' || r.signal || '; next FOMC ' || strftime(r.next_meeting, '%b %-d')
                    || ': ' || coalesce(printf('%.0f%%', r.next_meeting_cut_prob), 'n/a') || ' cut probability'
                    || CASE WHEN r.next_meeting_hike_prob > 0 THEN ', ' || printf('%.0f%%', r.next_meeting_hike_prob)
                                 || ' hike' ELSE '' END
                    || '; ' || coalesce(printf('%.1f', r.cuts_priced_year_end), 'n/a') || ' cuts priced by '
                    || coalesce(strftime(r.year_end_meeting, '%b %-d'), 'year end')
                    || CASE WHEN r.cuts_change_20d IS NULL THEN ''
                            ELSE ' (' || printf('%+.1f', r.cuts_change_20d) || ' over 20 sessions)' END
           END AS headline,
           r.implied_cut_bps AS value,
           CASE
               WHEN r.date IS NULL THEN 'no fed funds futures in this source'
               ELSE 'As of ' || strftime(r.date, '%Y-%m-%d') || ': '
                    || coalesce(r.signal_detail || '; ', '')
                    || 'effective rate ' || coalesce(printf('%.2f%%', r.effective_rate), 'n/a')
                    || '; 5-session change by year end '
                    || coalesce(printf('%+.0f', r.implied_change_5d_bps) || ' bp', 'n/a')
                    || '; 3-month T-bill ' || coalesce(printf('%.2f%%', r.tbill_3m), 'n/a')
                    || '; 2-year Treasury ' || coalesce(printf('%.2f%%', r.treasury_2y), 'n/a') || '.'
           END AS detail
    FROM one LEFT JOIN rate_row r ON true
),
-- ------------------------------------------------------------------ quality leaders
leaders AS (
    SELECT count(*) AS scored,
           max(quality_score) AS top_score,
           list(ticker ORDER BY rank) FILTER (WHERE rank <= $brief_top_n::INTEGER) AS top_names,
           list(ticker || ' (score ' || printf('%.0f', quality_score) || ': margin '
                || printf('%.0f%%', 100 * profit_margin) || ', growth '
                || printf('%+.0f%%', 100 * earnings_growth) || ', relative strength '
                || printf('%+.1f', 100 * relative_strength) || ' pts)'
                ORDER BY rank) FILTER (WHERE rank <= $brief_top_n::INTEGER) AS top_facts
    FROM marts.quality_leaders
    WHERE as_of = (SELECT max(date) FROM staging.stg_prices
                    WHERE date <= $as_of
                      AND ticker IN (SELECT ticker FROM staging.stg_universe WHERE asset_type = 'equity'))  -- this day's rows of the kept history
),
fundamentals_present AS (
    SELECT count(*) AS n FROM staging.stg_fundamentals WHERE as_of <= $as_of
),
quality AS (
    SELECT 6 AS section_order, 'quality_leaders' AS section,
           CASE WHEN l.scored = 0 THEN 'Quality leaders: no data'
                ELSE 'Top small-cap quality leaders: ' || array_to_string(l.top_names, ', ')
           END AS headline,
           l.top_score AS value,
           CASE
               WHEN f.n = 0 THEN 'no fundamentals in this source'
               WHEN l.scored = 0 THEN 'no small cap has the fundamentals and '
                    || $rs_sessions::INTEGER || ' sessions of prices needed to be scored'
               ELSE array_to_string(l.top_facts, '; ') || '; ' || l.scored
                    || CASE WHEN l.scored = 1 THEN ' small cap scored.' ELSE ' small caps scored.' END
           END AS detail
    FROM one
    CROSS JOIN leaders l
    CROSS JOIN fundamentals_present f
),
-- ------------------------------------------------------------------ what followed earlier streaks
outcome_row AS (
    SELECT o.*, t.lead_name, t.base_name,
           CASE WHEN o.min_length = 1 THEN ' session ' ELSE ' sessions ' END AS unit
    FROM marts.streak_outcome_summary o
    JOIN streak_text t ON t.pair_id = o.pair_id AND t.date = o.as_of  -- the summary of this day, not a later one
    WHERE o.is_current AND o.horizon = 21
),
what_followed AS (
    SELECT CASE
               WHEN o.earlier_streaks = 0 THEN
                   'No earlier run of at least ' || o.min_length || o.unit || o.direction
                   || ' in the data (from ' || strftime(o.history_start, '%Y-%m-%d') || ') to compare with'
               ELSE
                   'After the ' || o.earlier_streaks
                   || CASE WHEN o.earlier_streaks = 1 THEN ' earlier run' ELSE ' earlier runs' END
                   || ' of at least ' || o.min_length || o.unit || o.direction
                   || ' in the data (from ' || strftime(o.history_start, '%Y-%m-%d') || '), '
                   || CASE WHEN o.observations = 0
                           THEN 'none has had 21 sessions since'
                           ELSE o.lead_name || ' beat ' || o.base_name || ' over the next 21 sessions in '
                                || round(o.lead_beat_pct * o.observations / 100)::BIGINT || ' of '
                                || CASE WHEN o.observations < o.earlier_streaks
                                        THEN 'the ' || o.observations || ' with 21 sessions since'
                                        ELSE o.observations::VARCHAR END
                                || ' (' || printf('%.0f', o.lead_beat_pct) || '%), by '
                                || printf('%+.2f', 100 * o.mean_relative_return) || ' pp on average' END
           END
           || CASE WHEN o.observations > 0 AND o.any_time_observations > 0
                   THEN ', against ' || printf('%.0f', o.any_time_lead_beat_pct) || '% of all '
                        || o.any_time_observations || ' 21-session windows ('
                        || printf('%+.2f', 100 * o.any_time_mean_relative_return) || ' pp on average)'
                   ELSE '' END
           || '; runs this long are ' || o.streaks_reaching || ' of ' || o.streaks_in_direction
           || ' runs ' || o.direction || ' (' || printf('%.1f', o.reached_pct)
           || '%), where a coin landing ' || o.direction || ' on ' || printf('%.1f', o.win_rate_pct)
           || '% of sessions, the pair''s own rate, gives ' || printf('%.1f', o.coin_reached_pct) || '%.' AS sentence
    FROM outcome_row o
)
SELECT $as_of::DATE AS as_of, section, section_order, headline, value, detail,
       CASE WHEN section = 'rotation' THEN (SELECT sentence FROM what_followed) END AS what_followed
FROM (
    SELECT * FROM rotation
    UNION ALL SELECT * FROM valuation
    UNION ALL SELECT * FROM cooling
    UNION ALL SELECT * FROM breadth
    UNION ALL SELECT * FROM rates
    UNION ALL SELECT * FROM quality
)
ORDER BY section_order
