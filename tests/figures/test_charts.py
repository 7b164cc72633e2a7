"""The server-drawn charts: the numbers on the bars are the figures', bars scale to the
largest, names are escaped, and each chart is one named image pointing to its table."""

import xml.etree.ElementTree as ET
from collections import Counter
from datetime import date

import pytest

from clinic.figures import pictures
from clinic.figures.charts import LONGEST_BAR, Series, bar_chart
from clinic.figures.service import Row

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup) -> ET.Element:
    return ET.fromstring(str(markup))


def bars(svg: ET.Element) -> list[float]:
    return [float(rect.get("width").rstrip("%")) for rect in svg.iter(f"{SVG}rect")]


def texts(svg: ET.Element) -> list[str]:
    return [text.text for text in svg.iter(f"{SVG}text")]


def test_a_chart_is_one_named_image_with_a_bar_and_a_number_per_value():
    svg = parse(
        bar_chart(
            "c1",
            "Households by month",
            ["March 2025", "April 2025"],
            [Series("booked", [10, 5]), Series("attended", [8, 0])],
        )
    )
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "c1-title c1-desc"
    assert svg.find(f"{SVG}title").text == "Households by month"
    assert svg.find(f"{SVG}title").get("id") == "c1-title"
    assert "table" in svg.find(f"{SVG}desc").text
    assert texts(svg) == [
        "March 2025",
        "10 booked",
        "8 attended",
        "April 2025",
        "5 booked",
        "0 attended",
    ]
    # The largest value has the longest bar; the others in proportion; a zero is a hairline.
    assert bars(svg) == pytest.approx([LONGEST_BAR, LONGEST_BAR * 0.8, LONGEST_BAR / 2, 0.4])
    assert svg.get("viewBox") is None  # text keeps its size on a narrow screen


def test_names_are_escaped_and_a_fixed_scale_is_kept():
    svg = parse(
        bar_chart(
            "c2",
            "Rates <b>",
            ["St Brigid's & <Co>"],
            [Series("did not come", [0.25])],
            value_text=lambda v: f"{v:.0%}",
            scale_max=1,
        )
    )
    assert texts(svg) == ["St Brigid's & <Co>", "25% did not come"]
    assert svg.find(f"{SVG}title").text == "Rates <b>"
    assert bars(svg) == pytest.approx([LONGEST_BAR * 0.25])


def test_each_series_needs_a_value_per_category():
    with pytest.raises(ValueError):
        bar_chart("c3", "t", ["a", "b"], [Series("x", [1])])


def test_the_figures_charts_draw_the_rows_numbers():
    rows = [
        Row(
            school_id=1,
            school_name="Oakfield",
            month=date(2025, 3, 1),
            booked=6,
            attended=4,
            no_shows=1,
        ),
        Row(
            school_id=2,
            school_name="Brookside",
            month=date(2025, 4, 1),
            booked=3,
            attended=0,
            no_shows=0,
        ),
    ]
    month = parse(pictures.by_month(rows))
    assert texts(month)[:4] == ["March 2025", "6 booked", "4 attended", "1 did not come"]
    school = parse(pictures.by_school(rows))
    assert texts(school)[4:] == ["Brookside", "3 booked", "0 attended", "0 did not come"]
    # Brookside marked nobody: it has no no-show rate, so no bar.
    rates = parse(pictures.no_show_rates(rows))
    assert texts(rates) == ["Oakfield", "20% did not come"]
    topics = parse(pictures.topics([("roblox", 5), ("tiktok", 2)], str.upper))
    assert texts(topics) == ["ROBLOX", "5 families", "TIKTOK", "2 families"]
    assert len({svg.get("id") for svg in (month, school, rates, topics)}) == 4


def test_no_show_rate_is_of_the_bookings_whose_attendance_was_marked():
    assert Row(booked=10, attended=6, no_shows=2).no_show_rate == 0.25
    assert Row(booked=3).no_show_rate is None
    total = Row()
    total.add(Row(attended=1, no_shows=1, topics=Counter()))
    assert total.no_show_rate == 0.5


def test_no_chart_of_rates_when_no_attendance_was_marked():
    assert pictures.no_show_rates([Row(school_name="Oakfield", booked=3)]) == ""
