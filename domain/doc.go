// Package domain holds the rules of breach response as pure functions: the
// events an incident is made of, the state they fold into, the decisions
// that turn a responder's command into new events or a refusal, and the
// notification clocks that follow from that state.
//
// The process is the one of a cloud provider's GDPR breach-notification
// procedure: Detect → Assess → Diagnose ⇄ Stabilize and Recover → Close and
// Post-mortem, with a Customer Reportable Security/Privacy Incident (CRSPI)
// declared by a security incident manager on evidence beyond reasonable doubt
// or a legal or contractual duty, customers notified within 72 hours of the
// declaration unless an exception approved by legal and the executive
// incident manager (two distinct people) holds the notice.
//
// The clocks implemented here are:
//   - the processor commitment: a notice to every customer in scope, 72 hours
//     after the CRSPI declaration (configurable; see Settings);
//   - GDPR Art. 33(1): a controller notifies the supervisory authority not
//     later than 72 hours after becoming aware, unless the breach is unlikely
//     to result in a risk; a late notice carries the reasons for the delay;
//   - GDPR Art. 34(1): a controller tells data subjects without undue delay
//     when the risk is high, tracked against an organisational target since
//     the law names no hour limit; Art. 34(3) exceptions waive it.
//
// Nothing here reads a clock, does I/O or imports anything outside the
// standard library: time is always an argument, so the same history and the
// same instant give the same answer. Decide refuses what breaks a rule with a
// *RuleError that names the rule and says what to do instead; Evolve never
// fails, because events are facts that have already happened.
package domain
