import type { ConfigGraph } from './config-graph.js';

interface DiagramNode {
  readonly id: string;
  readonly label: string;
  readonly kind: 'listener' | 'internal' | 'cluster' | 'endpoint' | 'dangling';
}

interface DiagramEdge {
  readonly from: string;
  readonly to: string;
  readonly label: string;
}

/** Nodes and edges of the graph, shared by the Mermaid and DOT renderings. */
function diagram(graph: ConfigGraph): { nodes: DiagramNode[]; edges: DiagramEdge[] } {
  const nodes: DiagramNode[] = [];
  const edges: DiagramEdge[] = [];
  const listenerId = new Map(graph.listeners.map((l, i) => [l, `L${i}`]));
  const clusterId = new Map(graph.clusters.map((c, i) => [c.name, `C${i}`]));
  let missing = 0;
  for (const [listener, id] of listenerId) {
    const internal = listener.internalName !== undefined;
    nodes.push({ id, label: `${internal ? 'internal listener' : 'listener'} ${listener.name}\n${listener.address}`, kind: internal ? 'internal' : 'listener' });
    for (const filter of listener.filters) {
      for (const route of filter.routes) {
        let to = clusterId.get(route.cluster);
        if (to === undefined) {
          to = `M${missing++}`;
          nodes.push({ id: to, label: `no cluster ${route.cluster}`, kind: 'dangling' });
        }
        edges.push({ from: id, to, label: route.via });
      }
    }
  }
  graph.clusters.forEach((cluster, i) => {
    const id = `C${i}`;
    nodes.push({ id, label: `cluster ${cluster.name}\n${cluster.type}`, kind: 'cluster' });
    cluster.endpoints.forEach((endpoint, j) => {
      const name = endpoint.internalListener;
      const target = name !== undefined ? graph.internalListener(name) : undefined;
      if (target) {
        edges.push({ from: id, to: listenerId.get(target) ?? '', label: endpoint.address });
        return;
      }
      const endpointId = `E${i}_${j}`;
      const dangling = name !== undefined;
      nodes.push({ id: endpointId, label: dangling ? `no internal listener ${name}` : endpoint.address, kind: dangling ? 'dangling' : 'endpoint' });
      edges.push({ from: id, to: endpointId, label: dangling ? endpoint.address : '' });
    });
  });
  return { nodes, edges };
}

const MERMAID_SHAPES: Record<DiagramNode['kind'], [string, string]> = {
  listener: ['[', ']'],
  internal: ['([', '])'],
  cluster: ['[(', ')]'],
  endpoint: ['>', ']'],
  dangling: ['{{', '}}'],
};

/** A Mermaid flowchart (renders on GitHub and in most Markdown viewers). */
export function renderGraphMermaid(graph: ConfigGraph): string {
  const { nodes, edges } = diagram(graph);
  const lines = ['flowchart LR'];
  for (const node of nodes) {
    const [open, close] = MERMAID_SHAPES[node.kind];
    lines.push(`  ${node.id}${open}"${mermaidText(node.label)}"${close}${node.kind === 'dangling' ? ':::dangling' : ''}`);
  }
  for (const edge of edges) lines.push(edge.label ? `  ${edge.from} -->|"${mermaidText(edge.label)}"| ${edge.to}` : `  ${edge.from} --> ${edge.to}`);
  lines.push('  classDef dangling stroke:#c00,stroke-width:2px,stroke-dasharray:5 5');
  return `${lines.join('\n')}\n`;
}

const DOT_SHAPES: Record<DiagramNode['kind'], string> = {
  listener: 'shape=box',
  internal: 'shape=box,style=rounded',
  cluster: 'shape=cylinder',
  endpoint: 'shape=plaintext',
  dangling: 'shape=octagon,color=red',
};

/** Graphviz DOT (`dot -Tsvg`). */
export function renderGraphDot(graph: ConfigGraph): string {
  const { nodes, edges } = diagram(graph);
  const lines = ['digraph nodevoy {', '  rankdir=LR;'];
  for (const node of nodes) lines.push(`  ${node.id} [${DOT_SHAPES[node.kind]},label=${dotString(node.label)}];`);
  for (const edge of edges) lines.push(`  ${edge.from} -> ${dotString(edge.to)}${edge.label ? ` [label=${dotString(edge.label)}]` : ''};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

function mermaidText(text: string): string {
  return text.replaceAll('"', '#quot;').replaceAll('\n', '<br/>');
}

function dotString(text: string): string {
  return JSON.stringify(text);
}
