// The pay page's view of postage: PostageService behind the PaySource interface, available
// once the service exists (the HTTP routes are created before the gateway secret is loaded).
import type { PostageService } from '../../services/postage-service.js';
import type { PaySource } from '../http/routes/pay.js';

export function lazyPaySource(service: () => PostageService | undefined): PaySource {
  return {
    view: async (id) => service()?.view(id),
    watch: (id, onChange) => service()?.watch(id, onChange) ?? (() => {}),
    devPay: async (id) => {
      const postage = service();
      if (!postage) throw new Error('postage is not ready');
      await postage.devPayCase(id);
    },
  };
}
