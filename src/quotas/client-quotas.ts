// The broker's client quotas (Kafka's QuotaManagers plus ClientQuotaMetadataManager): the
// stored quotas, and one manager per kind fed from them: producer_byte_rate (Produce
// request bytes), consumer_byte_rate (Fetch response bytes) and request_percentage (time
// the broker spends on a client's requests, as a percentage of one thread). Handlers ask
// it how long to throttle a client and pass that to ctx.throttle, which mutes the
// connection; controller_mutation_rate is stored and described but not enforced (a single
// node has no controller queue to protect).

import type { FileIO } from '../../storage/file-io.ts'
import type { Clock } from '../groups/clock.ts'
import { ClientQuotaManager, DEFAULT_ENTITY, type EntityPart, type QuotaWindow } from './client-quota-manager.ts'
import { ClientQuotaStore } from './client-quota-store.ts'
import { CLIENT_ID, QuotaKey, USER, type QuotaEntity } from './quota-entity.ts'

export class ClientQuotas {
  readonly store: ClientQuotaStore
  readonly produce: ClientQuotaManager
  readonly fetch: ClientQuotaManager
  readonly request: ClientQuotaManager
  readonly clock: Clock

  constructor(io: FileIO | null, dataDir: string | null, window: QuotaWindow, clock: Clock) {
    this.clock = clock
    this.store = new ClientQuotaStore(io, dataDir)
    this.produce = new ClientQuotaManager(window)
    this.fetch = new ClientQuotaManager(window)
    // ClientRequestQuotaManager caps a throttle at one quota window.
    this.request = new ClientQuotaManager(window, window.windowSeconds * 1000)
    this.store.onChange((entity, key, value) => this.apply(entity, key, value))
  }

  load(): void {
    this.store.load()
  }

  private apply(entity: QuotaEntity, key: string, value: number | null): void {
    const manager = key === QuotaKey.PRODUCER_BYTE_RATE ? this.produce : key === QuotaKey.CONSUMER_BYTE_RATE ? this.fetch : key === QuotaKey.REQUEST_PERCENTAGE ? this.request : null
    if (manager === null) return
    const part = (type: string): EntityPart => (!entity.has(type) ? undefined : (entity.get(type) ?? DEFAULT_ENTITY))
    manager.updateQuota(part(USER), part(CLIENT_ID), value)
  }
}

/** KafkaPrincipal.getName: the principal without its type ("User:alice" → "alice"). */
export function principalName(principal: string): string {
  const colon = principal.indexOf(':')
  return colon < 0 ? principal : principal.slice(colon + 1)
}
