-- stg_pairs: the series pairs to compare, lead versus base.
-- @column pair_id: stable identifier of the comparison.
-- @column lead: the series expected to lead in a rotation (e.g. ^RUT).
-- @column base: the series it is compared against (e.g. ^GSPC).
-- @column label: human-readable name of the comparison.
SELECT pair_id, lead, base, coalesce(label, lead || ' vs ' || base) AS label
FROM raw.pairs
