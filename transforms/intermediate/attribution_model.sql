-- intermediate.attribution_model: the attribution model that marts.cac_by_segment spreads each campaign's spend with,
-- and that marts.channel_economics and `payback summary` show by default (METRICS: Attribution): ATTRIBUTION_MODEL
-- when it is set; else markov when at least 100 accounts have been acquired (converting customer paths: enough for
-- the Markov chain's removal effects to mean something), else linear.
-- columns:
--   model: the model used
--   chosen_by: ATTRIBUTION_MODEL, or the default's reason (how many converting customer paths there are)
--   converting_customer_paths: accounts acquired, each the end of one converting customer path
with converting as (
    select count(*) as paths from intermediate.customers
)

select
    coalesce(nullif(getvariable('attribution_model'), ''), case when paths >= 100 then 'markov' else 'linear' end)
        as model,
    case
        when getvariable('attribution_model') <> '' then 'ATTRIBUTION_MODEL'
        when paths >= 100 then 'default: ' || paths || ' acquisitions, markov from 100'
        else 'default: ' || paths || ' acquisitions, too few for markov (100)'
    end as chosen_by,
    paths as converting_customer_paths
from converting
