-- staging.exports_rejects: (generic exports) one row per input row (or whole file) that broke the export contract, with the reason.
-- Nothing is dropped silently: fix the file named here and drop it again; its rejects are then replaced.
with source as (
    select * from raw_exports.rejects
),

renamed as (
    select
        'exports' as source_system,
        file,
        line,
        kind,
        reason,
        raw_row
    from source
    where not coalesce(_tombstone, false)
)

select * from renamed
