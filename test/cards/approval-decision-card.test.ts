import { describe, expect, it } from 'vitest';
import { approvalDecisionCard } from '../../cards/approval-card.js';
import type { ApprovalRecord } from '../../src/core/approval.js';
import { cardText, expectValidCard } from '../support/adaptive-card.js';

const at = Date.UTC(2026, 11, 3, 21, 30, 5);
const base: ApprovalRecord = {
  id: 'ap-xyz',
  jobId: 'r-xyz',
  data: { request: { kind: 'system.ping', receivedAt: at }, actor: { type: 'person', email: 'alice@example.com' }, risk: 'change', origin: 'db cancel lab/main 42', env: 'lab' },
  hash: 'h'.repeat(32),
  requester: 'alice@example.com',
  risk: 'change',
  env: 'lab',
  commandText: 'db cancel lab/main 42',
  approverRole: 'operator',
  needed: 1,
  approvals: [],
  status: 'pending',
  createdAt: at - 60_000,
  expiresAt: at,
};

describe('the decision card', () => {
  it.each([
    [{ status: 'approved', approvals: ['bob@example.com'], decidedBy: 'bob@example.com', decidedAt: at }, /^✅ Approved by bob@example.com\. Job `r-xyz` is queued/, /Approved by[\s\S]*bob@example.com[\s\S]*When[\s\S]*2026-12-03 21:30:05 UTC[\s\S]*Job[\s\S]*r-xyz/],
    [{ status: 'rejected', decidedBy: 'bob@example.com', decidedAt: at, decisionNote: 'wrong pid' }, /^🚫 Rejected by bob@example.com: wrong pid\. Nothing ran\./, /Rejected by[\s\S]*bob@example.com[\s\S]*Reason[\s\S]*wrong pid[\s\S]*Ran[\s\S]*nothing/],
    [{ status: 'expired', decidedAt: at + 5 }, /^⌛ alice@example.com: nobody approved "db cancel lab\/main 42" in time/, /Expired at[\s\S]*2026-12-03 21:30:05 UTC/],
    [{ status: 'cancelled', decidedBy: 'alice@example.com', decidedAt: at }, /^🛑 alice@example.com withdrew the request/, /Withdrawn by[\s\S]*alice@example.com/],
    [{ status: 'superseded', decidedBy: 'bob@example.com', decidedAt: at }, /^♻️ Not run: database main is gone\. A new approval is needed\./, /Pressed by[\s\S]*bob@example.com/],
  ] as const)('states the outcome, who and when: %o', (over, fallback, body) => {
    const c = approvalDecisionCard({ ...base, ...over, approvals: 'approvals' in over ? [...over.approvals] : [] }, 'database main is gone');
    expectValidCard(c);
    expect(c.text).toMatch(fallback);
    expect(cardText(c.card)).toMatch(body);
    expect(cardText(c.card)).toContain('no longer change anything');
    // A decided request offers no buttons.
    expect(c.card.actions ?? []).toEqual([]);
  });
});
