//! Dominators and retained sizes on random graphs, against the naive definition:
//! d dominates v when v cannot be reached from the root once d is removed. Nodes the root
//! cannot reach follow DevTools: those with no essential retainer hang off the root together
//! with what they reach; what is still left (unreachable cycles) hangs off the root alone.

mod common;
use common::Builder;
use heapdiff_core::{parse, Snapshot};
use proptest::prelude::*;

/// Reachability from `starts` over `edges`, never entering `removed`.
fn reach(n: usize, edges: &[(usize, usize)], starts: &[usize], removed: Option<usize>) -> Vec<bool> {
    let mut seen = vec![false; n];
    let mut stack: Vec<usize> = starts.iter().copied().filter(|&s| Some(s) != removed).collect();
    for &s in &stack {
        seen[s] = true;
    }
    while let Some(v) = stack.pop() {
        for &(a, b) in edges {
            if a == v && !seen[b] && Some(b) != removed {
                seen[b] = true;
                stack.push(b);
            }
        }
    }
    seen
}

/// Immediate dominators by the definition, with DevTools' treatment of the unreachable.
fn naive_idom(n: usize, essential: &[(usize, usize)]) -> Vec<usize> {
    let orphans: Vec<usize> = (1..n).filter(|&v| !essential.iter().any(|&(_, b)| b == v)).collect();
    let mut starts = vec![0];
    starts.extend(&orphans);
    let in_v1 = reach(n, essential, &starts, None);
    // H: essential edges from V1, plus root -> each orphan.
    let mut h: Vec<(usize, usize)> = essential.iter().copied().filter(|&(a, _)| in_v1[a]).collect();
    h.extend(orphans.iter().map(|&o| (0, o)));
    let dominators: Vec<Vec<usize>> = (0..n)
        .map(|v| {
            if !in_v1[v] {
                return vec![0, v];
            }
            (0..n).filter(|&d| d == v || d == 0 || !reach(n, &h, &[0], Some(d))[v]).collect()
        })
        .collect();
    (0..n)
        .map(|v| {
            if v == 0 {
                return 0;
            }
            // The strict dominator that every other strict dominator dominates: the deepest.
            let strict: Vec<usize> = dominators[v].iter().copied().filter(|&d| d != v).collect();
            *strict.iter().max_by_key(|&&d| dominators[d].len()).unwrap()
        })
        .collect()
}

fn graph_strategy() -> impl Strategy<Value = (usize, Vec<(usize, usize, bool)>)> {
    (2usize..14).prop_flat_map(|n| {
        let edge = (0..n, 0..n, prop::bool::weighted(0.15));
        (Just(n), prop::collection::vec(edge, 0..n * 3))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn dominators_match_the_definition((n, edges) in graph_strategy()) {
        let mut b = Builder::new();
        b.node("synthetic", "", 0);
        for i in 1..n {
            b.node("object", &format!("N{i}"), (i * 10) as u64);
        }
        for (k, &(from, to, weak)) in edges.iter().enumerate() {
            if weak {
                b.edge(from, "weak", &format!("w{k}"), to);
            } else if from == 0 {
                b.edge(from, "element", &k.to_string(), to);
            } else {
                b.edge(from, "property", &format!("p{k}"), to);
            }
        }
        let text = b.build();
        let snapshot = Snapshot::analyze(parse(text.as_bytes(), None).unwrap(), None);
        // On one thread, the dominators first (the rest on two threads if none other is busy),
        // everything comes out the same.
        let in_turn = Snapshot::analyze_in_turn(parse(text.as_bytes(), None).unwrap(), None);
        prop_assert_eq!(snapshot.dominators(), in_turn.dominators());
        prop_assert_eq!(snapshot.retained_sizes(), in_turn.retained_sizes());
        prop_assert_eq!(snapshot.distances(), in_turn.distances());
        prop_assert_eq!(snapshot.class_summaries(), in_turn.class_summaries());
        prop_assert_eq!(snapshot.summary().statistics, in_turn.summary().statistics);
        let essential: Vec<(usize, usize)> =
            edges.iter().filter(|&&(a, b, weak)| !weak && a != b).map(|&(a, b, _)| (a, b)).collect();
        let want = naive_idom(n, &essential);
        let got: Vec<usize> = snapshot.dominators().iter().map(|&d| d as usize).collect();
        prop_assert_eq!(&got, &want);
        // The child lists, built again after the analysis dropped them, invert the tree.
        for v in 0..n {
            let mut children: Vec<u32> = snapshot.dominated_children(v as u32).unwrap();
            children.sort_unstable();
            let expected: Vec<u32> = (1..n).filter(|&u| want[u] == v).map(|u| u as u32).collect();
            prop_assert_eq!(children, expected, "children of {}", v);
        }

        // Retained size: own size plus the sizes of everything dominated.
        let self_size = |v: usize| (v * 10) as u64;
        for v in 0..n {
            let mut total = 0;
            for u in 0..n {
                let mut x = u;
                loop {
                    if x == v { total += self_size(u); break; }
                    if x == 0 { break; }
                    x = want[x];
                }
            }
            prop_assert_eq!(snapshot.retained_sizes().get(v as u32), total, "retained size of {}", v);
        }
    }
}

#[test]
fn a_deep_chain_does_not_overflow_the_stack() {
    let mut b = Builder::new();
    b.node("synthetic", "", 0);
    let n = 300_000;
    for i in 1..n {
        b.node("object", "Link", 8);
        b.edge(i - 1, "property", "next", i);
    }
    let snapshot = Snapshot::analyze(parse(b.build().as_bytes(), None).unwrap(), None);
    assert_eq!(snapshot.retained_sizes().get(0), 8 * (n as u64 - 1));
    assert_eq!(snapshot.dominators()[n - 1], (n - 2) as u32);
    assert_eq!(snapshot.distances()[n - 1], (n - 1) as i32);
}
