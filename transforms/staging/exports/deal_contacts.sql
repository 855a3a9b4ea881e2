-- staging.exports_deal_contacts: (generic exports) one row per deal and contact on it: an exported deal names one
-- contact, its primary one.
with source as (
    select * from raw_exports.deals
    where contact_id is not null
),

renamed as (
    select
        'exports' as source_system,
        cast(deal_id as varchar) as deal_id,
        cast(contact_id as varchar) as contact_id,
        true as is_primary
    from source
)

select * from renamed
