-- key: touchpoint_id
-- required: contact_id, touched_at, channel
-- staging.salesforce_touchpoints: (Salesforce) one row per CampaignMember: the person (a lead converted since is
-- its contact) touched by the campaign when it first responded, else when it was added; the channel is the
-- campaign's Type (mapped, with its name, by the channel map in staging.touchpoints).
with members as (
    select * from raw_salesforce.campaign_members
    where not coalesce(is_deleted, false)
),

converted as (
    select id as lead_id, converted_contact_id from raw_salesforce.leads where is_converted
),

renamed as (
    select
        'salesforce' as source_system,
        members.id as touchpoint_id,
        coalesce(members.contact_id, converted.converted_contact_id, members.lead_id) as contact_id,
        coalesce(local_midnight_utc(members.first_responded_date), parse_utc(members.created_date)) as touched_at,
        nullif(campaigns.type, '') as channel,
        members.campaign_id,
        campaigns.name as campaign_name,
        'campaign_member' as touch_type
    from members
    left join converted on converted.lead_id = members.lead_id
    left join raw_salesforce.campaigns on campaigns.id = members.campaign_id
)

select * from renamed
