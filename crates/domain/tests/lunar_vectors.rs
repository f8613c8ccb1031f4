//! Every row of the lunar anchor table 1990–2080 (Tết, the last day of the previous lunar
//! year, Giỗ Tổ Hùng Vương, the leap month) must come out of the calendar exactly.

use jiff::civil::Date;
use lienthong_domain::lunar::{LunarDate, from_lunar, leap_month, to_lunar};

#[test]
fn every_anchor_row_matches() {
    let table = include_str!("data/vn_lunar_anchor_dates_1990_2080.csv");
    let mut rows = 0;
    for line in table.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split(',').collect();
        let year: i32 = cols[0].parse().unwrap();
        let tet: Date = cols[1].parse().unwrap();
        let last: Date = cols[2].parse().unwrap();
        let last_day: u8 = cols[3].split('/').next().unwrap().parse().unwrap();
        let gio_to: Date = cols[4].parse().unwrap();
        let leap: Option<u8> = cols.get(5).and_then(|c| c.trim().parse().ok());
        assert_eq!(
            from_lunar(LunarDate {
                year,
                month: 1,
                day: 1,
                leap: false
            }),
            Some(tet),
            "Tết {year}"
        );
        assert_eq!(
            to_lunar(tet),
            LunarDate {
                year,
                month: 1,
                day: 1,
                leap: false
            },
            "Tết {year} back"
        );
        assert_eq!(
            to_lunar(last),
            LunarDate {
                year: year - 1,
                month: 12,
                day: last_day,
                leap: false
            },
            "last day before {year}"
        );
        assert_eq!(
            from_lunar(LunarDate {
                year,
                month: 3,
                day: 10,
                leap: false
            }),
            Some(gio_to),
            "Giỗ Tổ {year}"
        );
        assert_eq!(leap_month(year), leap, "leap month {year}");
        rows += 1;
    }
    assert_eq!(rows, 91);
}
