//! Tables on a terminal: IDs, statuses, levels and times never wrap; long free text is cut
//! with `…` to the terminal's width; times are local and relative.

use comfy_table::{Attribute, Cell as TableCell, Color, ContentArrangement, Table};
use jiff::Timestamp;

use serde::Serialize;

use crate::cli::time::{local_relative, relative_time};

/// One value in a row, rendered per output format.
#[derive(Debug, Clone)]
pub enum Cell {
    Text(String),
    /// Relative on a terminal ("in 7h 58m", "3m ago"), RFC 3339 otherwise.
    Time(Option<Timestamp>),
    /// Coloured by meaning on a terminal.
    Status(String),
    /// A status with a mark after it on a terminal ("active BREAK-GLASS"), never broken; the
    /// status alone in TSV, so that scripts read the same values.
    Marked {
        status: String,
        mark: &'static str,
    },
    /// Words for a person where there is no value ("(all support)"); empty in TSV.
    Placeholder(&'static str),
    /// Text never broken across lines on a terminal: an ID, a level, a slug.
    Fixed(String),
    /// Free text shown one way on a terminal ("all") and another in TSV (the full list).
    Shown {
        table: String,
        tsv: String,
    },
    /// How something ended, on a terminal "revoked 3m ago by admin@acme.test"; in TSV the time.
    Ended {
        verb: &'static str,
        at: Option<Timestamp>,
        by: Option<String>,
    },
}

impl Cell {
    pub fn text(value: impl ToString) -> Cell {
        Cell::Text(value.to_string())
    }

    pub fn opt(value: Option<impl ToString>) -> Cell {
        Cell::Text(value.map(|v| v.to_string()).unwrap_or_default())
    }

    pub fn fixed(value: impl ToString) -> Cell {
        Cell::Fixed(value.to_string())
    }
}

/// A resource that prints as a row.
pub trait Tabular: Serialize {
    fn headers() -> &'static [&'static str];
    fn cells(&self) -> Vec<Cell>;
    /// What `-q` prints.
    fn id(&self) -> &str;
    /// Columns a terminal shows only with `-o wide` (TSV always has them all).
    fn wide_only() -> &'static [&'static str] {
        &[]
    }
    /// Columns a narrow terminal leaves out, the first first, until the others fit. Columns
    /// not named (IDs, emails, what a person types next) are never left out nor cut.
    fn drop_order() -> &'static [&'static str] {
        &[]
    }
    /// More fields for `show` on a terminal, where they apply (who revoked, and why).
    fn details(&self) -> Vec<(&'static str, Cell)> {
        Vec::new()
    }
}

/// How a table is drawn.
pub struct Style {
    pub color: bool,
    pub now: Timestamp,
}

impl Style {
    /// An empty table, as wide as the terminal when stdout is one.
    pub fn table(&self) -> Table {
        let mut table = Table::new();
        table
            .load_style(comfy_table::presets::NOTHING)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_truncation_indicator("…");
        // comfy-table ignores NO_COLOR; it styles only when we say so.
        if self.color {
            table.enforce_styling();
        } else {
            table.force_no_tty();
        }
        // Said explicitly: comfy-table stops measuring the terminal once told it is not one.
        if let Some(width) = terminal_width() {
            table.set_width(width);
        }
        table
    }

    pub fn header(&self, header: &str) -> TableCell {
        let cell = TableCell::new(header.to_uppercase());
        if self.color {
            cell.add_attribute(Attribute::Bold)
        } else {
            cell
        }
    }

    pub fn cell(&self, cell: &Cell) -> TableCell {
        self.cut_cell(cell, None)
    }

    /// A cell cut to `width` with `…` (comfy-table would cut at the last whole word).
    fn cut_cell(&self, cell: &Cell, width: Option<u16>) -> TableCell {
        let text = TableCell::new(cut(&self.text(cell), width));
        match cell {
            Cell::Ended { verb, .. } => self.colored(text, verb),
            Cell::Status(status) | Cell::Marked { status, .. } => self.colored(text, status),
            _ => text,
        }
    }

    /// What a cell says on a terminal, on one line with nothing in it a terminal acts on.
    fn text(&self, cell: &Cell) -> String {
        let text = match cell {
            Cell::Text(text) | Cell::Fixed(text) | Cell::Status(text) => text.clone(),
            Cell::Shown { table, .. } => table.clone(),
            Cell::Marked { status, mark } => format!("{status} {mark}"),
            Cell::Placeholder(words) => (*words).to_owned(),
            Cell::Time(None) => String::new(),
            Cell::Time(Some(at)) => local_relative(*at, self.now),
            Cell::Ended { verb, at, by } => {
                let mut text = (*verb).to_owned();
                if let Some(at) = at {
                    text.push(' ');
                    text.push_str(&relative_time(*at, self.now));
                }
                if let Some(by) = by {
                    text.push_str(" by ");
                    text.push_str(by);
                }
                text
            }
        };
        crate::cli::render::terminal_safe(&text).into_owned()
    }

    fn colored(&self, cell: TableCell, status: &str) -> TableCell {
        if !self.color {
            return cell;
        }
        match status {
            "active" | "enabled" | "allowed" => cell.fg(Color::Green),
            "revoked" | "disabled" | "denied" => cell.fg(Color::Red),
            "expired" | "closed" => cell.fg(Color::DarkGrey),
            _ => cell,
        }
    }

    /// A list: one line per row. Columns that must stay whole (IDs, emails, statuses, levels,
    /// times) keep their content's width; free text shares what is left and is cut with `…`.
    /// While the columns do not fit even so, those named in `drop_order` are left out, the
    /// first first (as kubectl does); the others (IDs, emails, what a person types next) stay.
    pub fn list(&self, headers: &[&str], rows: &[Vec<Cell>], drop_order: &[&str]) -> String {
        let columns: Vec<Column> = (0..headers.len())
            .map(|index| {
                let mut column = self.measure(headers[index], rows, index);
                column.dropped_at = drop_order.iter().position(|name| *name == headers[index]);
                column
            })
            .collect();
        let widths = terminal_width().map(|width| fit(&columns, width));
        let shown: Vec<usize> = (0..headers.len())
            .filter(|&i| widths.as_ref().is_none_or(|w| w[i] > 0))
            .collect();
        // Every cell is cut to its column here, so comfy-table only lays out.
        let mut table = self.table();
        table.set_content_arrangement(ContentArrangement::Disabled);
        let width = |i: usize| widths.as_ref().map(|w| w[i]);
        table.set_header(
            shown
                .iter()
                .map(|&i| self.header(&cut(&headers[i].to_uppercase(), width(i))))
                .collect::<Vec<_>>(),
        );
        for cells in rows {
            table.add_row(
                shown
                    .iter()
                    .map(|&i| self.cut_cell(&cells[i], width(i)))
                    .collect::<Vec<_>>(),
            );
        }
        for position in 0..shown.len() {
            if let Some(column) = table.column_mut(position) {
                // Two spaces between columns, none at the edges: 80 columns go further.
                let gap = if position + 1 == shown.len() { 0 } else { 2 };
                column.set_padding((0, gap));
            }
        }
        table.to_string()
    }

    fn measure(&self, header: &str, rows: &[Vec<Cell>], index: usize) -> Column {
        let width = |text: &str| u16::try_from(text.chars().count()).unwrap_or(u16::MAX);
        let mut column = Column {
            need: width(header),
            // Free text may be cut down to its header (a few letters at least): a header
            // cut to "ARE…" says nothing.
            least: width(header).max(4),
            whole: true,
            free: true,
            dropped_at: None,
        };
        for cell in rows.iter().filter_map(|row| row.get(index)) {
            let text = width(&self.text(cell));
            column.need = column.need.max(text);
            match cell.unbreakable(self.now) {
                Some(least) => {
                    column.free = false;
                    column.whole &= cell.is_whole();
                    // Room for the `…` after the part that is never cut.
                    let least = if text > least { least + 1 } else { least };
                    column.least = column.least.max(least);
                }
                None => column.whole = false,
            }
        }
        if column.whole {
            column.least = column.need;
        }
        column.least = column.least.min(column.need);
        column
    }
}

/// `text`, cut to `width` with `…` when longer.
fn cut(text: &str, width: Option<u16>) -> String {
    match width.map(usize::from) {
        Some(width) if text.chars().count() > width => {
            let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
            cut.push('…');
            cut
        }
        _ => text.to_owned(),
    }
}

/// What a column needs: all of `need`, at least `least`; a whole column needs all of it.
struct Column {
    need: u16,
    least: u16,
    whole: bool,
    /// Free text only: may be left out when there is no room.
    free: bool,
    /// Its place in the list's drop order: left out that early when the columns do not fit.
    dropped_at: Option<usize>,
}

/// The width of each column in a table `total` wide (0: left out). Whole columns get what
/// they need; the others start at their least and share the rest, the narrowest first.
/// Columns are left out while the rest does not fit: those in the drop order first, then
/// free text from the right; the others stay whole even when they alone are too wide.
fn fit(columns: &[Column], total: u16) -> Vec<u16> {
    const GAP: u16 = 2;
    let mut widths: Vec<u16> = columns.iter().map(|c| c.least).collect();
    let used = |widths: &[u16]| -> u16 {
        let shown: Vec<&u16> = widths.iter().filter(|w| **w > 0).collect();
        let gaps = GAP * u16::try_from(shown.len().saturating_sub(1)).unwrap_or(0);
        shown.into_iter().sum::<u16>() + gaps
    };
    let mut droppable: Vec<usize> = (0..columns.len())
        .filter(|&i| columns[i].dropped_at.is_some())
        .collect();
    droppable.sort_by_key(|&i| columns[i].dropped_at);
    for index in droppable {
        if used(&widths) <= total {
            break;
        }
        widths[index] = 0;
    }
    // Too wide even so: leave out free columns from the right.
    for index in (0..columns.len()).rev() {
        if used(&widths) <= total {
            break;
        }
        if columns[index].free {
            widths[index] = 0;
        }
    }
    let mut spare = total.saturating_sub(used(&widths));
    let mut growing: Vec<usize> = (0..columns.len())
        .filter(|&i| widths[i] > 0 && columns[i].need > widths[i])
        .collect();
    growing.sort_by_key(|&i| columns[i].need - widths[i]);
    let mut left = u16::try_from(growing.len()).unwrap_or(1);
    for index in growing {
        let share = spare / left.max(1);
        let grow = (columns[index].need - widths[index]).min(share);
        widths[index] += grow;
        spare -= grow;
        left -= 1;
    }
    widths
}

impl Cell {
    /// Cells that are never broken across lines: IDs, statuses, levels, times.
    fn is_whole(&self) -> bool {
        match self {
            Cell::Fixed(_) | Cell::Status(_) | Cell::Marked { .. } | Cell::Time(_) => true,
            Cell::Ended { by, .. } => by.is_none(),
            _ => false,
        }
    }

    /// The width of the part that must never be cut: all of a whole cell, the "revoked 3m
    /// ago" of an ended one; `None` for free text.
    fn unbreakable(&self, now: Timestamp) -> Option<u16> {
        let text = match self {
            Cell::Fixed(text) | Cell::Status(text) => text.clone(),
            Cell::Marked { status, mark } => format!("{status} {mark}"),
            Cell::Time(at) => at.map(|at| local_relative(at, now)).unwrap_or_default(),
            Cell::Ended { verb, at, .. } => match at {
                Some(at) => format!("{verb} {}", relative_time(*at, now)),
                None => (*verb).to_owned(),
            },
            _ => return None,
        };
        Some(u16::try_from(text.chars().count()).unwrap_or(u16::MAX))
    }
}

/// The terminal's width in columns, when stdout is a terminal: `COLUMNS` when exported (as
/// Python's `shutil` does), else the terminal's own.
#[cfg(unix)]
pub fn terminal_width() -> Option<u16> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return None;
    }
    if let Some(columns) = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok())
        && columns > 0
    {
        return Some(columns);
    }
    // SAFETY: TIOCGWINSZ fills a winsize for a terminal file descriptor; fd 1 is one.
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(1, libc::TIOCGWINSZ, &mut size) } == 0;
    (ok && size.ws_col > 0).then_some(size.ws_col)
}

#[cfg(not(unix))]
pub fn terminal_width() -> Option<u16> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_columns_keep_their_width_and_free_text_shares_the_rest() {
        let column = |need, least, whole| Column {
            need,
            least,
            whole,
            free: !whole,
            dropped_at: None,
        };
        // id, status, reason (free), areas (free)
        let columns = [
            column(29, 29, true),
            column(7, 7, true),
            column(60, 4, false),
            column(12, 4, false),
        ];
        assert_eq!(fit(&columns, 120), [29, 7, 60, 12]);
        assert_eq!(fit(&columns, 80), [29, 7, 26, 12]);
        // No room for both: the rightmost free column is left out, the rest stays whole.
        assert_eq!(fit(&columns, 44), [29, 7, 4, 0]);
    }

    #[test]
    fn columns_in_the_drop_order_go_first_and_ids_stay_whole() {
        let column = |need, dropped_at| Column {
            need,
            least: need,
            whole: true,
            free: false,
            dropped_at,
        };
        // id, email, level (dropped second), areas (dropped first), ends (dropped third)
        let columns = [
            column(30, None),
            column(24, None),
            column(9, Some(1)),
            column(12, Some(0)),
            column(16, Some(2)),
        ];
        assert_eq!(fit(&columns, 120), [30, 24, 9, 12, 16]);
        assert_eq!(fit(&columns, 80), [30, 24, 0, 0, 16]);
        assert_eq!(fit(&columns, 60), [30, 24, 0, 0, 0]);
        // What may never be left out stays whole, even wider than the terminal.
        assert_eq!(fit(&columns, 40), [30, 24, 0, 0, 0]);
    }
}
