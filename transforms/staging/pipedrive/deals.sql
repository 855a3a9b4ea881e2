-- staging.pipedrive_deals: (Pipedrive) one row per deal that is not deleted, in the deal's own currency; won
-- and lost deals close at their won_time / lost_time (else close_time).
with source as (
    select * from raw_pipedrive.deals
    where not coalesce(is_deleted, false)
),

renamed as (
    select
        'pipedrive' as source_system,
        cast(id as varchar) as deal_id,
        cast(org_id as varchar) as company_id,
        cast(person_id as varchar) as contact_id,
        coalesce(cast(org_id as varchar), 'contact:' || cast(person_id as varchar)) as account_id,
        lower(status) as status,
        cast(null as varchar) as deal_type,
        timezone('UTC', try_cast(add_time as timestamptz)) as created_at,
        case lower(status)
            when 'won' then timezone('UTC', try_cast(coalesce(won_time, close_time) as timestamptz))
            when 'lost' then timezone('UTC', try_cast(coalesce(lost_time, close_time) as timestamptz))
        end as closed_at,
        cast(value as double) as amount,
        upper(currency) as currency,
        cast(null as date) as contract_start,
        cast(null as date) as contract_end,
        cast(pipeline_id as varchar) as pipeline,
        cast(stage_id as varchar) as stage,
        updated_at
    from source
)

select * from renamed
