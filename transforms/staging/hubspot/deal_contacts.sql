-- staging.hubspot_deal_contacts: (HubSpot) one row per live deal and live contact associated with it (v4
-- associations). A contact merged into another counts as the one it was merged into (hs_merged_object_ids); an
-- archived contact is on no deal. The primary contact is the first of them in HubSpot's association order.
with deals as (
    select id as deal_id, string_split(nullif(contacts_ids, ''), ';') as linked_ids
    from raw_hubspot.deals
    where not coalesce(archived, false)
),

links as (
    select deal_id, unnest(linked_ids) as linked_id, unnest(range(1, len(linked_ids) + 1)) as position
    from deals
),

merged_contacts as (
    select unnest(string_split(hs_merged_object_ids, ';')) as merged_id, id as surviving_id
    from raw_hubspot.contacts
    where not coalesce(archived, false) and nullif(hs_merged_object_ids, '') is not null
),

live_links as (
    select links.deal_id, hubspot_contacts.contact_id, min(links.position) as position
    from links
    left join merged_contacts on merged_contacts.merged_id = links.linked_id
    inner join staging.hubspot_contacts
        on hubspot_contacts.contact_id = coalesce(merged_contacts.surviving_id, links.linked_id)
    group by all
),

renamed as (
    select
        'hubspot' as source_system,
        deal_id,
        contact_id,
        row_number() over (partition by deal_id order by position) = 1 as is_primary
    from live_links
)

select * from renamed
