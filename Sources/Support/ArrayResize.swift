// ArrayResize.swift — sizing a reused output array for batched reads that write through an unsafe
// buffer instead of appending (the difficulty index's rank and id lookups).

/// Sets `a.count` to `n`, keeping its capacity; new elements are `fill` (the caller overwrites
/// all of them).
@inlinable
package func resizeForOverwrite<T>(_ a: inout [T], _ n: Int, _ fill: T) {
    if a.count < n { a.append(contentsOf: repeatElement(fill, count: n - a.count)) } else if a.count > n { a.removeLast(a.count - n) }
}
