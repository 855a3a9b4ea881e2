-- staging.pipedrive_deal_contacts: (Pipedrive) one row per deal that is not deleted and its person, when that
-- person is live (Pipedrive lists no deleted person).
with source as (
    select * from raw_pipedrive.deals
    where not coalesce(is_deleted, false) and person_id is not null
),

renamed as (
    select
        'pipedrive' as source_system,
        cast(source.id as varchar) as deal_id,
        pipedrive_contacts.contact_id,
        true as is_primary
    from source
    inner join staging.pipedrive_contacts on pipedrive_contacts.contact_id = cast(source.person_id as varchar)
)

select * from renamed
