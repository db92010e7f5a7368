//! Which of many address ranges holds an address, in logarithmic time.
//!
//! Panic logs list kext ranges that nest, overlap and repeat (a paste of a panic a thousand times
//! repeats its "Kernel Extensions in backtrace" a thousand times). The answer the tools give is
//! the first range in log order that holds the address; asking every range for every frame is
//! frames × ranges, which a long paste turns into minutes. [`FirstCover`] cuts the ranges once
//! into disjoint pieces, each labelled with the first range covering it, so a lookup is one
//! binary search.

use std::collections::BTreeMap;

/// Disjoint pieces of a set of inclusive ranges, each labelled with the first range (in the
/// order given) that covers it.
#[derive(Clone, Debug)]
pub struct FirstCover<T> {
    /// `(start, end, label)`, inclusive, sorted, disjoint.
    pieces: Vec<(u64, u64, T)>,
}

impl<T: Copy> FirstCover<T> {
    /// The index of `ranges` (`(start, end, label)`, inclusive; a range with `start > end` is
    /// ignored). Earlier ranges win where ranges overlap. Cost: n log n in the number of ranges.
    pub fn new(ranges: impl IntoIterator<Item = (u64, u64, T)>) -> Self {
        let mut labels: Vec<T> = Vec::new();
        // Edge → (orders that open at it, orders that close after it).
        let mut edges: BTreeMap<u64, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
        for (start, end, label) in ranges {
            if start > end {
                continue;
            }
            let order = labels.len();
            labels.push(label);
            edges.entry(start).or_default().0.push(order);
            edges.entry(end).or_default().1.push(order);
        }
        // Open ranges as a multiset of their orders; the smallest labels a piece.
        let mut active: BTreeMap<usize, u32> = BTreeMap::new();
        let mut pieces: Vec<(u64, u64, T)> = Vec::new();
        let mut push = |start: u64, end: u64, active: &BTreeMap<usize, u32>| {
            let Some((&order, _)) = active.first_key_value() else {
                return;
            };
            pieces.push((start, end, labels[order]));
        };
        let points: Vec<u64> = edges.keys().copied().collect();
        for (i, &edge) in points.iter().enumerate() {
            let (opens, closes) = &edges[&edge];
            for &o in opens {
                *active.entry(o).or_default() += 1;
            }
            // The edge itself, then the stretch up to the next edge.
            push(edge, edge, &active);
            for &o in closes {
                if let Some(n) = active.get_mut(&o) {
                    *n -= 1;
                    if *n == 0 {
                        active.remove(&o);
                    }
                }
            }
            if let Some(&next) = points.get(i + 1) {
                // `next > edge`, so `edge + 1` does not overflow.
                if next > edge + 1 {
                    push(edge + 1, next - 1, &active);
                }
            }
        }
        FirstCover { pieces }
    }

    /// The label of the first range that holds `addr`.
    pub fn get(&self, addr: u64) -> Option<T> {
        let i = self.pieces.partition_point(|p| p.0 <= addr);
        let (_, end, label) = *self.pieces.get(i.checked_sub(1)?)?;
        (addr <= end).then_some(label)
    }

    /// True when no range was given (or none was valid).
    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first range holding `a`, by asking each: what `get` must answer.
    fn linear(ranges: &[(u64, u64, u32)], a: u64) -> Option<u32> {
        ranges
            .iter()
            .find(|(s, e, _)| *s <= a && a <= *e)
            .map(|r| r.2)
    }

    #[test]
    fn answers_as_a_search_in_order() {
        let ranges = [
            (100, 199, 0),
            (120, 129, 1),
            (110, 300, 2),
            (500, 500, 3),
            (100, 199, 4),
            (0, 0, 5),
            (u64::MAX - 1, u64::MAX, 6),
            (50, 40, 7),
        ];
        let idx = FirstCover::new(ranges);
        let mut probes = vec![1, 41, 45, u64::MAX - 2];
        for (s, e, _) in ranges {
            for p in [s, e] {
                probes.extend([p.saturating_sub(1), p, p.saturating_add(1)]);
            }
        }
        for a in probes {
            assert_eq!(idx.get(a), linear(&ranges, a), "{a}");
        }
        assert_eq!(idx.get(125), Some(0));
        assert_eq!(idx.get(250), Some(2));
        assert_eq!(idx.get(45), None);
    }

    #[test]
    fn empty() {
        let idx = FirstCover::<u8>::new([]);
        assert!(idx.is_empty());
        assert_eq!(idx.get(0), None);
    }
}
