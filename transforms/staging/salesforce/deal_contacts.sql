-- staging.salesforce_deal_contacts: (Salesforce) one row per Opportunity that is not deleted and live Contact with a
-- role on it (OpportunityContactRole). The primary contact is the role marked IsPrimary, else the earliest role.
-- Salesforce moves a merged contact's roles onto the contact it keeps, so a merged-away contact has none.
with roles as (
    select * from raw_salesforce.opportunity_contact_roles
    where not coalesce(is_deleted, false)
),

live_roles as (
    select roles.*
    from roles
    inner join raw_salesforce.opportunities
        on opportunities.id = roles.opportunity_id and not coalesce(opportunities.is_deleted, false)
    inner join staging.salesforce_contacts on salesforce_contacts.contact_id = roles.contact_id
),

renamed as (
    select
        'salesforce' as source_system,
        opportunity_id as deal_id,
        contact_id,
        row_number() over (partition by opportunity_id order by is_primary desc, created_date, id) = 1 as is_primary
    from live_roles
    qualify row_number() over (partition by opportunity_id, contact_id order by is_primary desc, created_date, id) = 1
)

select * from renamed
