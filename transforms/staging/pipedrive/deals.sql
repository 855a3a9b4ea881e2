-- key: deal_id
-- required: status, created_at
-- staging.pipedrive_deals: (Pipedrive) one row per deal that is not deleted, in the deal's own currency; won
-- and lost deals close at their won_time / lost_time (else close_time). company_id is its organization and
-- contact_id its person when Pipedrive still lists them (it lists no deleted one), else NULL.
with source as (
    select * from raw_pipedrive.deals
    where not coalesce(is_deleted, false)
),

renamed as (
    select
        'pipedrive' as source_system,
        cast(source.id as varchar) as deal_id,
        pipedrive_accounts.account_id as company_id,
        pipedrive_deal_contacts.contact_id,
        lower(source.status) as status,
        cast(null as varchar) as deal_type,
        parse_utc(source.add_time) as created_at,
        case lower(source.status)
            when 'won' then parse_utc(coalesce(source.won_time, source.close_time))
            when 'lost' then parse_utc(coalesce(source.lost_time, source.close_time))
        end as closed_at,
        cast(source.value as double) as amount,
        upper(source.currency) as currency,
        cast(null as date) as contract_start,
        cast(null as date) as contract_end,
        cast(source.pipeline_id as varchar) as pipeline,
        cast(source.stage_id as varchar) as stage,
        source.updated_at
    from source
    left join staging.pipedrive_accounts on pipedrive_accounts.account_id = cast(source.org_id as varchar)
    left join staging.pipedrive_deal_contacts on pipedrive_deal_contacts.deal_id = cast(source.id as varchar)
)

select * from renamed
