-- staging.contacts: one row per contact (a person in the CRM), from every configured source
-- (staging.all_contacts), its original source mapped onto our channels by the channel map (staging.channels).
-- columns:
--   original_channel: the channel of the contact's original source as its CRM records it, mapped by the channel
--     map; NULL when the CRM records none
select all_contacts.* replace (channels.channel as original_channel)
from staging.all_contacts
left join staging.channels
    on channels.channel_key = channel_key(null, all_contacts.original_campaign_id, null, null, null,
                                          all_contacts.original_channel)
