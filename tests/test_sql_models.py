"""What a SQL file's header declares: its description, and for a staging model the key and required columns its
checks are generated from, which every source's file of the model must declare alike."""

import pytest

from pipelines.sql_models import SqlModel, staging_declarations


def write(root, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


ORDERS = """-- key: order_id
-- required: ordered_at, amount
-- staging.{source}_orders: one row per order.
select '{source}' as source_system, 'o1' as order_id, now() as ordered_at, 1.0 as amount
"""


def test_every_source_of_a_model_declares_its_key_and_required_columns(tmp_path):
    for source in ("shop", "erp"):
        write(tmp_path, f"staging/{source}/orders.sql", ORDERS.format(source=source))
    write(tmp_path, "staging/erp/invoices.sql", "-- staging.erp_invoices: one row per invoice.\nselect 1 as x\n")
    assert staging_declarations(("shop", "erp"), tmp_path) == {"orders": (("order_id",), ("ordered_at", "amount"))}
    # The declarations are no part of the table's description; the asset's shows them after it.
    shop = SqlModel.from_file("staging", "shop_orders", tmp_path / "staging/shop/orders.sql")
    assert shop.description == "staging.shop_orders: one row per order."
    assert shop.documentation == shop.description + "\n\n**Key**: `order_id`; **Required**: `ordered_at`, `amount`"


def test_sources_that_declare_a_model_differently_are_refused(tmp_path):
    write(tmp_path, "staging/shop/orders.sql", ORDERS.format(source="shop"))
    write(tmp_path, "staging/erp/orders.sql", ORDERS.format(source="erp").replace("-- required: ordered_at, amount\n",
                                                                                 ""))
    with pytest.raises(ValueError) as refused:
        staging_declarations(("shop", "erp"), tmp_path)
    assert str(refused.value) == (
        "staging.orders: every source's orders.sql must declare the same `-- key:` and `-- required:` lines, as all "
        "of them feed staging.orders, where the checks test them. They declare: staging/shop/orders.sql: -- key: "
        "order_id, -- required: ordered_at, amount; staging/erp/orders.sql: -- key: order_id")


def test_a_declaration_is_one_line_of_column_names(tmp_path):
    write(tmp_path, "staging/shop/orders.sql", ORDERS.format(source="shop").replace("amount\n", "amount > 0\n", 1))
    with pytest.raises(ValueError, match=r"^staging/shop/orders.sql: `-- required: ordered_at, amount > 0` must "
                                         r"be one `-- required: column, column` line of the columns' names$"):
        staging_declarations(("shop",), tmp_path)
