import { Category, type Connection, type NetworkFilterFactory } from '@nodevoy/core';
import { networkRbacSchema, type NetworkRbacConfig } from './config.js';
import { NO_HEADERS, RbacEngine, deniedDetails, type RbacSubject } from './engine.js';
import { RbacStats } from './stats.js';

/** Where the network filter writes its shadow results, as Envoy's. */
const METADATA_NAMESPACE = 'envoy.filters.network.rbac';

function subjectOf(connection: Connection): RbacSubject {
  const { info } = connection;
  return {
    localAddress: connection.localAddress,
    remoteAddress: connection.remoteAddress,
    directRemoteAddress: info.directRemoteAddress ?? connection.remoteAddress,
    downstreamRemoteAddress: connection.remoteAddress,
    requestedServerName: info.requestedServerName,
    ssl: connection.ssl,
    headers: NO_HEADERS,
    dynamicMetadata: info.dynamicMetadata,
  };
}

/**
 * `envoy.filters.network.rbac`: judged when the connection's first bytes arrive (or on every read
 * with `CONTINUOUS`); a denied connection is closed (after `delay_deny`, reading stopped
 * meanwhile) and nothing after this filter sees its bytes. `<stat_prefix>.rbac.*` stats.
 */
export const networkRbac: NetworkFilterFactory<NetworkRbacConfig> = {
  name: 'envoy.filters.network.rbac',
  category: Category.networkFilter,
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC'],
  configSchema: networkRbacSchema,
  isTerminalFilter: false,
  createFilterFactory(config, context) {
    const stats = new RbacStats(context.server.stats.scope(''), config.stat_prefix, '', config.shadow_rules_stat_prefix ?? '');
    const engine = config.rules ? new RbacEngine(config.rules) : undefined;
    const shadowEngine = config.shadow_rules ? new RbacEngine(config.shadow_rules) : undefined;
    const shadowPrefix = config.shadow_rules_stat_prefix ?? '';
    const continuous = config.enforcement_type === 'CONTINUOUS';
    const delayDenyMs = config.delay_deny ?? 0;
    return (filterManager) => {
      const connection = filterManager.connection;
      let shadowJudged = false;
      let verdict: boolean | undefined;
      let denied = false;
      let delayTimer: NodeJS.Timeout | undefined;
      connection.addConnectionCallbacks({
        onEvent: (event) => {
          if (event !== 'Connected') clearTimeout(delayTimer);
        },
      });
      const deny = (policyId: string) => {
        denied = true;
        connection.info.responseCodeDetails = deniedDetails(policyId);
        if (delayDenyMs <= 0) {
          connection.close('NoFlush', 'rbac_deny_close');
          return;
        }
        connection.readDisable(true);
        delayTimer = setTimeout(() => connection.close('NoFlush', 'rbac_deny_close'), delayDenyMs);
      };
      filterManager.addReadFilter({
        onData() {
          if (denied) return 'stop';
          const subject = subjectOf(connection);
          if (shadowEngine && (continuous || !shadowJudged)) {
            shadowJudged = true;
            const { allowed, policyId } = shadowEngine.decide(subject);
            (allowed ? stats.shadowAllowed : stats.shadowDenied).inc();
            connection.info.setDynamicMetadata(METADATA_NAMESPACE, {
              ...(policyId ? { [`${shadowPrefix}shadow_effective_policy_id`]: policyId } : {}),
              [`${shadowPrefix}shadow_engine_result`]: allowed ? 'allowed' : 'denied',
            });
          }
          if (!engine) return 'continue';
          if (continuous || verdict === undefined) {
            const { allowed, policyId } = engine.decide(subject);
            (allowed ? stats.allowed : stats.denied).inc();
            verdict = allowed;
            if (!allowed) {
              deny(policyId);
              return 'stop';
            }
          }
          return verdict ? 'continue' : 'stop';
        },
      });
    };
  },
};
