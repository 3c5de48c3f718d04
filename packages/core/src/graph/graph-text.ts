import type { ConfigGraph, GraphCluster, GraphListener } from './config-graph.js';

/**
 * The graph as an indented tree: each TCP listener, what its filters send to, and on through
 * every internal hop. Internal listeners no TCP listener reaches are roots of their own.
 */
export function renderGraphText(graph: ConfigGraph): string {
  const lines: string[] = [];
  const reached = new Set<GraphListener>();
  const usedClusters = new Set<string>();

  const listener = (node: GraphListener, depth: number, path: readonly GraphListener[]): void => {
    reached.add(node);
    const kind = node.internalName !== undefined ? 'internal listener' : 'listener';
    lines.push(`${indent(depth)}${kind} '${node.name}' ${node.address}`);
    for (const filter of node.filters) {
      lines.push(`${indent(depth + 1)}${filter.name}`);
      for (const route of filter.routes) {
        lines.push(`${indent(depth + 2)}${route.via} -> cluster '${route.cluster}'`);
        usedClusters.add(route.cluster);
        const target = graph.cluster(route.cluster);
        if (target) cluster(target, depth + 3, [...path, node]);
        else lines.push(`${indent(depth + 3)}(no cluster named '${route.cluster}')`);
      }
    }
  };

  const cluster = (node: GraphCluster, depth: number, path: readonly GraphListener[]): void => {
    if (node.endpoints.length === 0) lines.push(`${indent(depth)}(${node.type}: endpoints found at run time)`);
    for (const endpoint of node.endpoints) {
      const name = endpoint.internalListener;
      if (name === undefined) {
        lines.push(`${indent(depth)}${endpoint.address}`);
        continue;
      }
      const next = graph.internalListener(name);
      if (!next) lines.push(`${indent(depth)}${endpoint.address} -> DANGLING: no internal listener named '${name}'`);
      else if (path.includes(next)) lines.push(`${indent(depth)}${endpoint.address} -> CYCLE: back to internal listener '${next.name}'`);
      else {
        lines.push(`${indent(depth)}${endpoint.address} ->`);
        listener(next, depth + 1, path);
      }
    }
  };

  for (const root of graph.listeners.filter((l) => l.internalName === undefined)) listener(root, 0, []);
  for (const root of graph.listeners.filter((l) => l.internalName !== undefined && !reached.has(l))) listener(root, 0, []);
  const unused = graph.clusters.filter((c) => !usedClusters.has(c.name));
  if (unused.length > 0) lines.push(`clusters no listener sends to: ${unused.map((c) => `'${c.name}'`).join(', ')}`);
  return `${lines.join('\n')}\n`;
}

function indent(depth: number): string {
  return '  '.repeat(depth);
}
