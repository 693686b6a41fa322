#!/usr/bin/env bash
# One breach, four regimes at once, recorded through the CLI into a fresh
# ledger: a US-headquartered bank (an SEC registrant, controller of its
# customers' data) whose German subsidiary is a financial entity under DORA
# and an essential entity under NIS2 (it also runs a cloud service).
# Customer data of people in Germany and France is read by an intruder:
#
#   GDPR  Art. 33: the main establishment is outside the EEA, so there is no
#         lead authority: the SA of Germany and the SA of France each get a
#         notice, each with its own clock and acknowledgement; Art. 34 too;
#   NIS2  Art. 23: early warning 24 h, notification 72 h, final one month;
#   DORA  initial 4 h after classification as major (24 h after awareness at
#         the latest), intermediate 72 h after the initial, final a month
#         after the latest intermediate; no weekend roll-over for the
#         initial and intermediate of a NIS2 entity (RTS 2025/301 Art. 5(5));
#   SEC   Form 8-K Item 1.05 four business days after the materiality
#         determination (over Columbus Day), then an 8-K/A.
#
# Awareness is first recorded at 06:00 and corrected to 04:30 the next day.
#
# Usage: BL="breachledger --ledger ./ledger.db" bash scenario.sh
# It prints the incident ID on its last line.
set -euo pipefail
: "${BL:?set BL to the breachledger command, e.g. BL=\"bin/breachledger --ledger demo.db\"}"
as() { local who=$1; shift; $BL --actor "$who" "$@"; }
quiet() { local who=$1; shift; $BL --actor "$who" "$@" --quiet; }

# Everyone signs what they record with their own SSH key (README: Who
# signs). Each person's key is in their key directory, where "--actor NAME"
# finds it: made here with "breachledger signer keygen NAME" unless it is
# there already. init registers alice's key (she is the first admin); she
# registers everyone else's public key.
KEYS="${XDG_CONFIG_HOME:-$HOME/.config}/breachledger/signers"
keys() { for who in "$@"; do [ -e "$KEYS/$who" ] || $BL signer keygen "$who" >/dev/null; done; }
register_keys() { local at=$1; shift; for who in "$@"; do as alice signer register "$who" "$KEYS/$who.pub" --at "$at"; done; }

keys alice oscar sam ivy ian lee eve
as alice init --name "Northwind Financial IR" --at 2025-09-01T09:00:00Z
# This history happened in 2025 and is recorded now, as a team importing
# an old case file would: the admin widens the backdate-window (default
# 24h) so facts may be dated long before they are recorded. A notice
# dated before its due time but recorded after it still needs
# --late-entry-reason, whatever the window.
LATE="recorded from the 2025 case file"
as alice setting backdate-window 36500d --at 2025-09-01T09:00:00Z --reason "the case file is recorded long after it happened" >/dev/null
as alice grant oscar responder --at 2025-09-01T09:01:00Z
as alice grant sam security-response --at 2025-09-01T09:02:00Z
as alice grant ivy security-incident-manager --at 2025-09-01T09:03:00Z
as alice grant ian incident-manager --at 2025-09-01T09:04:00Z
as alice grant lee legal --at 2025-09-01T09:05:00Z
as alice grant eve executive-incident-manager --at 2025-09-01T09:06:00Z
register_keys 2025-09-01T09:07:00Z oscar sam ivy ian lee eve

INC=$(quiet oscar detect --source automated-alert --reference SIEM-4471 \
  --summary "Intruder read customer records through a compromised API gateway of the Frankfurt cloud platform" \
  --aware-at 2025-10-02T06:00:00Z --role controller --at 2025-10-02T05:40:00Z)
DETECTION=$(as oscar log --incident "$INC" --json | sed -n 's/.*"event_id": "\([^"]*\)".*/\1/p' | head -1)

as ivy profile "$INC" --establishment US --establishment DE --sector banking --sector digital-infrastructure \
  --entity-type sec-registrant --entity-type financial-entity --entity-type nis2-essential --at 2025-10-02T06:30:00Z
as oscar assess "$INC" --functional-impact high --recoverability supplemented --information-impact privacy-breach \
  --escalated --at 2025-10-02T06:30:00Z
as ivy determine "$INC" nis2-significant --reasoning "customer data of two Member States; cloud service degraded" --at 2025-10-02T07:00:00Z
as sam stage "$INC" diagnose --at 2025-10-02T07:30:00Z
as sam classify "$INC" privacy-breach --reason "customer names, IBANs and balances read" --at 2025-10-02T08:00:00Z
as ivy determine "$INC" dora-major --reasoning "critical service affected; data losses and clients criteria met (Delegated Reg. 2024/1772)" --at 2025-10-02T09:00:00Z
as sam affected "$INC" --count DE=800 --count FR=400 --count US-NY=2000 --at 2025-10-02T10:00:00Z
# The graded facts of the risk advisor (ENISA severity method): names with
# IBANs and balances (financial, DPC 3) identify each customer (EI 1),
# taken by an intruder (unknown recipients +0.5, malicious +0.5): SE 4.
as sam factors "$INC" --data financial --data simple --identification maximum \
  --confidentiality unknown-recipients --integrity none --availability none --intent malicious \
  --unintelligible no --people 3200 --exposure-days 1 \
  --notes "IBANs and balances: phishing and fraud" --at 2025-10-02T11:00:00Z
as ivy risk "$INC" high --reasoning "financial data of 3,200 people, fraud likely" --at 2025-10-02T12:00:00Z

# DORA initial notification (due 13:00Z: 4 h after the classification).
as ian notify --late-entry-reason "$LATE" "$INC" --to regulator --recipient BaFin --jurisdiction DE --for dora-initial --channel portal --at 2025-10-02T12:30:00Z
# NIS2 early warning to the German CSIRT.
as ian notify --late-entry-reason "$LATE" "$INC" --to regulator --recipient BSI --jurisdiction DE --phase early-warning --for nis2-early-warning \
  --channel portal --at 2025-10-02T20:00:00Z

# The SOC ticket shows the alert was read at 04:30: awareness moves earlier.
as oscar correct "$INC" "$DETECTION" --aware-at 2025-10-02T04:30:00Z \
  --aware-reason "the SOC acknowledged the alert at 04:30, before the incident was opened at 05:40" \
  --reason "SOC ticket SIEM-4471 shows the alert was acknowledged at 04:30" --at 2025-10-03T08:00:00Z

# GDPR Art. 33: two authorities. Germany in time (and acknowledged)...
DE_NOTICE=$(quiet ian notify --late-entry-reason "$LATE" "$INC" --to supervisory-authority --recipient "HmbBfDI" --jurisdiction DE --channel portal \
  --art33 nature,contact,consequences,measures --reference DE-2025-10-04 --at 2025-10-04T10:00:00Z)
as ian ack "$INC" "$DE_NOTICE" --from HmbBfDI --reference "HmbBfDI-2025-0931" --at 2025-10-04T12:00:00Z
# NIS2 incident notification.
as ian notify --late-entry-reason "$LATE" "$INC" --to regulator --recipient BSI --jurisdiction DE --phase notification --for nis2-notification \
  --channel portal --at 2025-10-04T09:00:00Z
# DORA: the intermediate report cannot be ready by Sunday: notice of delay first.
as ian notify --late-entry-reason "$LATE" "$INC" --to regulator --recipient BaFin --jurisdiction DE --phase delay-notice --for dora-intermediate \
  --delay-reason "forensic scope incomplete over the weekend" --channel portal --at 2025-10-04T16:00:00Z
as ian notify --late-entry-reason "$LATE" "$INC" --to data-subjects --recipient "3,200 customers, by letter and in-app" --channel letter --at 2025-10-05T10:00:00Z
# ...France late, with the reasons.
as ian notify --late-entry-reason "$LATE" "$INC" --to supervisory-authority --recipient CNIL --jurisdiction FR --channel portal \
  --art33 nature,contact,consequences,measures --delay-reason "French customers identified only on Monday" --at 2025-10-06T09:00:00Z
as ian notify --late-entry-reason "$LATE" "$INC" --to regulator --recipient BaFin --jurisdiction DE --phase intermediate --for dora-intermediate \
  --delay-reason "notice of delay sent Saturday; scope now complete" --channel portal --at 2025-10-06T08:00:00Z

# SEC: the disclosure committee determines materiality on Thursday 9 October.
as eve determine "$INC" sec-material --reasoning "disclosure committee: material to customers' trust and deposits" --at 2025-10-09T18:00:00Z
as ian notify --late-entry-reason "$LATE" "$INC" --to public-filing --recipient EDGAR --reference "Form 8-K" --for sec-8k-1.05 --channel api --at 2025-10-15T20:30:00Z
as eve determine "$INC" sec-info-available --reasoning "forensics quantified the records taken" --at 2025-10-24T15:00:00Z
as ian notify --late-entry-reason "$LATE" "$INC" --to public-filing --recipient EDGAR --reference "Form 8-K/A" --phase supplementary --for sec-8k-a/1 --channel api --at 2025-10-29T20:00:00Z

as ian notify --late-entry-reason "$LATE" "$INC" --to regulator --recipient BSI --jurisdiction DE --phase final --for nis2-final --channel portal --at 2025-11-03T10:00:00Z
as ian notify --late-entry-reason "$LATE" "$INC" --to regulator --recipient BaFin --jurisdiction DE --phase final --for dora-final --channel portal --at 2025-11-05T10:00:00Z

echo "$INC"
