-- table_columns: the columns of one table as the database has them, in order.
-- parameters: $1 = table name
-- columns: column_name, data_type, ordinal_position
with final as (
    select column_name, data_type, ordinal_position
    from information_schema.columns
    where table_schema = 'main' and table_name = $1::varchar
)
select * from final order by ordinal_position
