"""Records flattened to rows: field values in field order, as the tables' columns expect."""
from __future__ import annotations

from dataclasses import dataclass

from reportmine.models import Item, Section, field_names, record_dict, record_values


def test_record_values_are_the_fields_in_order() -> None:
    section = Section("2.1", "2", 2, "（一）", "加强集体备课", role="measures", start=40, end=120, title_end=48)
    assert record_values(section) == ("2.1", "2", 2, "（一）", "加强集体备课", "measures", 40, 120, 48)
    item = Item(1, "参与积极性不高。", 10, 18, section_id="6", category="参与面", marker="一是")
    assert record_values(item) == tuple(record_dict(item).values())
    assert field_names(Item)[:2] == ("item_no", "text")


def test_record_values_of_records_with_one_or_no_field() -> None:
    @dataclass
    class One:
        value: str

    @dataclass
    class Empty:
        pass

    assert record_values(One("小班化")) == ("小班化",)
    assert record_values(Empty()) == ()


def test_replaced_gives_what_dataclasses_replace_gives():
    from dataclasses import replace

    from reportmine.models import Section, replaced

    section = Section(section_id="2", parent_id=None, depth=1, marker="二、", title="存在的问题", role="other", start=5, end=40, title_end=12)
    assert replaced(section, role="problems") == replace(section, role="problems")
    assert section.role == "other"  # the original is left as it was
