// The shop's permission policy (设置 → 权限): what an agent may give without a lead. Money is a
// "5.00" string (yuan), never a float. Types come from docs/api/openapi.yaml.
import { http } from './http';
import type { components } from './schema.gen';

type S = components['schemas'];
export type PermissionPolicy = S['PermissionPolicy'];
export type PermissionPolicyInput = S['PermissionPolicyInput'];
export type RoleLimits = S['RoleLimits'];
export type GiftThreshold = S['GiftThreshold'];
export type PolicyView = S['PolicyView'];

export const GOODWILL_CAUSES = ['delivery', 'campaign', 'warehouse', 'product', 'buyer'] as const;
export type GoodwillCause = (typeof GOODWILL_CAUSES)[number];

export const getPermissionPolicy = (shop?: string) =>
  http.get<PolicyView>('/api/v1/settings/permissions', { query: { shop } });
export const putPermissionPolicy = (body: PermissionPolicyInput, shop?: string) =>
  http.put<PolicyView>('/api/v1/settings/permissions', body, { query: { shop } });
