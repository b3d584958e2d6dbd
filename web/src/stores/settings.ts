import { defineStore } from 'pinia';
import { ref } from 'vue';
import * as api from '@/api/permissions';
import type { PermissionPolicyInput, PolicyView } from '@/api/permissions';

// Shop settings the lead edits. The permission policy applies at once: the server reads it for
// the next compensation request, so the store only keeps what the server answered.
export const useSettingsStore = defineStore('settings', () => {
  const shopId = ref<string | undefined>(undefined);
  const permissions = ref<PolicyView | null>(null);
  const loading = ref(false);

  async function loadPermissions() {
    loading.value = true;
    try {
      permissions.value = await api.getPermissionPolicy(shopId.value);
    } finally {
      loading.value = false;
    }
  }

  // Saves and keeps the server's answer (the policy as stored). Errors are thrown as ApiError
  // (field names the bad setting) and leave the loaded policy as it was.
  async function savePermissions(input: PermissionPolicyInput) {
    permissions.value = await api.putPermissionPolicy(input, shopId.value);
    return permissions.value;
  }

  return { shopId, permissions, loading, loadPermissions, savePermissions };
});
