//! Index-stable storage for the caches: entries keep their index while they live, so other
//! entries can point at them by a `u32`, and freed indices are reused.

/// Puts `item` in a freed slot of `slots`, or a new one at the end, and returns its index.
pub(crate) fn insert<T>(slots: &mut Vec<T>, free: &mut Vec<u32>, item: T) -> u32 {
    match free.pop() {
        Some(idx) => {
            slots[idx as usize] = item;
            idx
        }
        None => {
            slots.push(item);
            (slots.len() - 1) as u32
        }
    }
}
