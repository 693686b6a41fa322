#!/usr/bin/env bash
# Five incidents in one ledger, for the breach register and the period
# report: what GDPR Art. 33(5) asks to be documented, notified or not.
#
#   A  a processor-side breach of two customers' end-user data: declared
#      30 h after detection; the authority's notice carries two of the four
#      Art. 33(3) items, the supplementary notice the other two (phased,
#      Art. 33(4)); one customer notified 2 h late, with the reason;
#   B  a stolen laptop with full-disk encryption: a personal data breach
#      unlikely to result in a risk (Art. 33(1)), so nobody is notified,
#      with the reasoning kept;
#   C  a phishing report first assessed as a privacy breach, then found to be
#      a red-team exercise: a false positive, registered with its root cause;
#   D  source code read from a build server: proprietary, no personal data,
#      not declared: not in the register, counted in the period report;
#   E  a misdirected e-mail with health data, declared 10 h after detection;
#      high risk but Art. 34(3)(a) (the attachment was encrypted); the
#      authority's notice carries no Art. 33(3) item and nothing follows it.
#
# Usage: BL="breachledger --ledger ./ledger.db" bash scenario.sh
# It prints the five incident IDs, A to E, one per line.
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

keys alice oscar sam ivy ian lee
as alice init --name "Fabrikam Hosting DPO" --at 2025-01-02T09:00:00Z >/dev/null
# This history happened in 2025 and is recorded now, as a team importing
# an old case file would: the admin widens the backdate-window (default
# 24h) so facts may be dated long before they are recorded. A notice
# dated before its due time but recorded after it still needs
# --late-entry-reason, whatever the window.
LATE="recorded from the 2025 case file"
as alice setting backdate-window 36500d --at 2025-01-02T09:00:00Z --reason "the case file is recorded long after it happened" >/dev/null
as alice grant oscar responder --at 2025-01-02T09:01:00Z >/dev/null
as alice grant sam security-response --at 2025-01-02T09:02:00Z >/dev/null
as alice grant ivy security-incident-manager --at 2025-01-02T09:03:00Z >/dev/null
as alice grant ian incident-manager --at 2025-01-02T09:04:00Z >/dev/null
as alice grant lee legal --at 2025-01-02T09:05:00Z >/dev/null
register_keys 2025-01-02T09:06:00Z oscar sam ivy ian lee >/dev/null

# A: detected 2025-02-03T08:00Z, declared 2025-02-04T14:00Z (30 h).
A=$(quiet oscar detect --source automated-alert --summary "Support-ticket attachments of two tenants read through a misconfigured share" \
  --aware-at 2025-02-03T08:30:00Z --role both --at 2025-02-03T08:00:00Z)
as oscar assess "$A" -f medium -r supplemented -i privacy-breach --escalated --at 2025-02-03T09:00:00Z >/dev/null
as sam stage "$A" diagnose --at 2025-02-03T10:00:00Z >/dev/null
as sam contain "$A" --description "share made private; access keys rotated" --at 2025-02-03T11:00:00Z >/dev/null
as sam classify "$A" privacy-breach --reason "attachments hold names and addresses of end users" --at 2025-02-03T16:00:00Z >/dev/null
as sam scope "$A" --customer northwind --customer tailspin --data-category "contact details" --subject-category "end users" \
  --subjects 340 --records 900 --jurisdiction NL --at 2025-02-03T18:00:00Z >/dev/null
as ivy risk "$A" risk --reasoning "contact details only, no special categories" --at 2025-02-04T10:00:00Z >/dev/null
as ivy declare "$A" --basis evidence --reasoning "share access logs show downloads by an unknown address" --at 2025-02-04T14:00:00Z >/dev/null
as ian notify --late-entry-reason "$LATE" "$A" --to supervisory-authority --recipient "Autoriteit Persoonsgegevens" --jurisdiction NL --channel portal \
  --art33 nature,contact --at 2025-02-05T20:00:00Z >/dev/null
as ian notify --late-entry-reason "$LATE" "$A" --to security-contacts --customer northwind --recipient security@northwind.example --at 2025-02-06T09:00:00Z >/dev/null
as ian notify --late-entry-reason "$LATE" "$A" --to security-contacts --customer tailspin --recipient soc@tailspin.example \
  --delay-reason "tailspin's security contact bounced; reached through its account team" --at 2025-02-07T16:00:00Z >/dev/null
as ian notify --late-entry-reason "$LATE" "$A" --to supervisory-authority --phase supplementary --recipient "Autoriteit Persoonsgegevens" --jurisdiction NL --channel portal \
  --art33 consequences,measures --summary "consequences and measures now known" --at 2025-02-10T10:00:00Z >/dev/null
as sam stage "$A" stabilize --at 2025-02-06T12:00:00Z >/dev/null
as ian postmortem "$A" --summary "share template defaulted to public; templates fixed" --location "dms://ir/2025-004/pm.pdf" \
  --sha256 1111111111111111111111111111111111111111111111111111111111111111 --at 2025-02-20T10:00:00Z >/dev/null
as ian close "$A" --summary "notified; template fixed" --at 2025-02-21T10:00:00Z >/dev/null

# B: a stolen laptop, encrypted: unlikely to result in a risk.
B=$(quiet oscar detect --source operator-escalation --summary "Engineer's laptop stolen from a car" \
  --aware-at 2025-02-12T07:00:00Z --role controller --at 2025-02-12T07:00:00Z)
as oscar assess "$B" -f none -r regular -i privacy-breach --at 2025-02-12T07:30:00Z >/dev/null
as sam stage "$B" diagnose --at 2025-02-12T08:00:00Z >/dev/null
as sam classify "$B" privacy-breach --reason "the disk holds HR records of 40 staff" --at 2025-02-12T09:00:00Z >/dev/null
as sam scope "$B" --data-category "HR records" --subject-category staff --subjects 40 --records 40 --jurisdiction DE --at 2025-02-12T09:30:00Z >/dev/null
as ivy risk "$B" unlikely --reasoning "full-disk encryption (XTS-AES-256) with TPM and PIN; the device was off; remote wipe confirmed" --at 2025-02-12T11:00:00Z >/dev/null
as sam contain "$B" --kind mitigation --description "device wiped remotely; credentials on it revoked" --at 2025-02-12T10:00:00Z >/dev/null
as sam stage "$B" stabilize --at 2025-02-12T12:00:00Z >/dev/null
as ian postmortem "$B" --summary "encryption worked as designed; car-storage guidance reissued" --location "dms://ir/2025-006/pm.pdf" \
  --sha256 2222222222222222222222222222222222222222222222222222222222222222 --at 2025-02-14T10:00:00Z >/dev/null
as ian close "$B" --summary "no notification: unlikely to result in a risk" --at 2025-02-14T11:00:00Z >/dev/null

# C: first assessed as a privacy breach, then a false positive.
C=$(quiet oscar detect --source customer-report --summary "Customer reports a phishing page asking for portal passwords" \
  --role controller --at 2025-03-03T10:00:00Z)
as oscar assess "$C" -f low -r regular -i privacy-breach --at 2025-03-03T10:30:00Z >/dev/null
as sam classify "$C" false-positive --root-cause "the page was the red team's sanctioned exercise RT-2025-03" --at 2025-03-03T12:00:00Z >/dev/null
as sam stage "$C" close --reason "false positive" --at 2025-03-03T12:10:00Z >/dev/null
as ian close "$C" --at 2025-03-03T12:15:00Z >/dev/null

# D: proprietary data only.
D=$(quiet oscar detect --source automated-alert --summary "Source code of the billing service read from a build server" \
  --role controller --at 2025-03-10T02:00:00Z)
as oscar assess "$D" -f low -r supplemented -i proprietary-breach --at 2025-03-10T03:00:00Z >/dev/null
as sam stage "$D" diagnose --at 2025-03-10T04:00:00Z >/dev/null
as sam classify "$D" security-incident --reason "no personal data in the repository" --at 2025-03-10T09:00:00Z >/dev/null

# E: detected 2025-03-17T08:00Z, declared 18:00Z (10 h); high risk, Art. 34(3)(a).
E=$(quiet oscar detect --source first-party-report --summary "Lab results e-mailed to the wrong clinic" \
  --aware-at 2025-03-17T08:00:00Z --role both --at 2025-03-17T08:00:00Z)
as oscar assess "$E" -f none -r regular -i privacy-breach --escalated --at 2025-03-17T08:30:00Z >/dev/null
as sam stage "$E" diagnose --at 2025-03-17T09:00:00Z >/dev/null
as sam classify "$E" privacy-breach --reason "health data of 12 patients" --at 2025-03-17T10:00:00Z >/dev/null
as sam scope "$E" --customer contoso-health --data-category "lab results" --subject-category patients --subjects 12 --records 12 --jurisdiction FR --at 2025-03-17T11:00:00Z >/dev/null
as ivy risk "$E" high --art34-exception unintelligible --reasoning "health data, but the attachment was encrypted and the password went by SMS to the right clinic only" --at 2025-03-17T12:00:00Z >/dev/null
as ivy declare "$E" --basis legal-duty --reasoning "the data processing agreement with contoso-health obliges us to report misdirected results" --at 2025-03-17T18:00:00Z >/dev/null
as ian notify --late-entry-reason "$LATE" "$E" --to supervisory-authority --recipient CNIL --jurisdiction FR --channel portal --at 2025-03-18T09:00:00Z >/dev/null
as ian notify --late-entry-reason "$LATE" "$E" --to security-contacts --customer contoso-health --recipient dpo@contoso-health.example --at 2025-03-18T10:00:00Z >/dev/null

printf '%s\n' "$A" "$B" "$C" "$D" "$E"
