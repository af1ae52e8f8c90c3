-- schema_tables: how many tables the main schema has, and whether sprintlens's meta table is
-- one of them (to tell a sprintlens store from another DuckDB file).
-- parameters: none
-- columns: tables (bigint), has_meta (boolean)
with main_tables as (
    select table_name from information_schema.tables where table_schema = 'main'
),
final as (
    select count(*) as tables, bool_or(table_name = 'meta') is true as has_meta
    from main_tables
)
select * from final
