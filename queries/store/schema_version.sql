-- schema_version: the schema version recorded in the store (NULL before any migration).
-- parameters: none
-- columns: version (varchar)
with versions as (
    select value from meta where key = 'schema_version'
),
final as (
    select max(value) as version from versions
)
select * from final
