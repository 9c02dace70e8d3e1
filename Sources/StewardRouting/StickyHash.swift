/// The published bucketing hash (see `manifests/routing.md`).
///
/// FNV-1a 64 over the UTF-8 bytes of `salt + ":" + key`, then MurmurHash3's
/// 64-bit finaliser, then modulo 10,000. FNV-1a is a few lines in any
/// language and needs no table; the finaliser spreads FNV's weak low bits
/// so that consecutive keys (`user-1`, `user-2`) land in unrelated buckets.
/// Every step is 64-bit unsigned arithmetic that wraps, so every language
/// gets exactly the same bucket.
public enum StickyHash {
    /// Buckets per table: one basis point of traffic each.
    public static let bucketCount: UInt64 = 10_000

    static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    static let prime: UInt64 = 0x0000_0100_0000_01b3

    /// FNV-1a 64, continuing from `state` so a salt prefix is hashed once.
    @inlinable
    public static func fnv1a(_ bytes: UnsafeBufferPointer<UInt8>, from state: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 {
        var hash = state
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    /// FNV-1a 64 of a string's UTF-8 bytes, continuing from `state`.
    @inlinable
    public static func fnv1a(_ text: String, from state: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 {
        var text = text
        return text.withUTF8 { fnv1a($0, from: state) }
    }

    /// MurmurHash3's `fmix64`.
    @inlinable
    public static func mix(_ value: UInt64) -> UInt64 {
        var k = value
        k ^= k >> 33
        k = k &* 0xff51_afd7_ed55_8ccd
        k ^= k >> 33
        k = k &* 0xc4ce_b9fe_1a85_ec53
        k ^= k >> 33
        return k
    }

    /// The state after hashing `salt + ":"`; routes keep it so that a
    /// decision hashes only the key.
    public static func prefixState(salt: String) -> UInt64 {
        fnv1a(":", from: fnv1a(salt))
    }

    /// The bucket, 0 ..< 10,000, of `key` under `salt`.
    @inlinable
    public static func bucket(prefixState: UInt64, key: String) -> Int {
        Int(mix(fnv1a(key, from: prefixState)) % bucketCount)
    }

    /// The bucket of `key` under `salt`.
    public static func bucket(salt: String, key: String) -> Int {
        bucket(prefixState: prefixState(salt: salt), key: key)
    }
}
