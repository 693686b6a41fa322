// Package integrity makes a breachledger ledger tamper-evident and lets an
// auditor check it offline, without trusting whoever runs the ledger.
//
// Every stored event becomes one leaf of an RFC 6962 Merkle tree whose leaf
// index is the event's ledger sequence. A leaf is a canonical, versioned
// binary encoding of the event's content envelope (event ID, stream, type,
// business time, actor, signer key fingerprint, SHA-256 of the stored payload
// bytes) plus its sequence, revision and recorded time (see Envelope and
// Leaf). Leaves commit to the stored payload bytes through their digest, so a
// payload that is later stored encrypted, or erased, keeps every proof valid.
//
// The tree's head is published as a C2SP tlog-checkpoint in a C2SP signed
// note (golang.org/x/mod/sumdb/note, Ed25519), signed with the ledger key; the
// key's name is the log origin, which names the ledger. The state needed to
// extend the tree is a compact range (github.com/transparency-dev/merkle), so
// an append costs O(log n) whatever the size of the ledger.
//
// From the raw log and the stored checkpoints, Verify recomputes every leaf
// and the tree, checks every checkpoint, and names the first event that
// differs and how, from the leaf copies kept with the checkpoints (read,
// with Options.LeafCopies, only for an interval that does not match). Inclusion proofs are C2SP
// tlog-proofs carrying the leaf; consistency proofs use the same line format;
// bundles carry events, proofs, checkpoints and the signer registry in one
// file. All of them verify with nothing but this package and the ledger's
// public key.
//
// Actors may sign the content envelope with an SSH key in the SSHSIG format
// (the format of "ssh-keygen -Y sign" and of git's SSH signatures), in the
// namespace Namespace. The package checks such signatures; which key an actor
// may use, and which events must be signed, is the ledger's business (package
// domain), judged by a SignaturePolicy.
package integrity
