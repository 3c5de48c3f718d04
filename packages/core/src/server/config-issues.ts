import { childPath, type ParseContext } from '../config/schema/types.js';
import type { ConfigIssueReporter } from './context.js';

/**
 * Reports semantic config problems (a cluster that does not exist, an internal listener
 * without its bootstrap extension) at the field path and line:col the object came from.
 */
export class ConfigIssues implements ConfigIssueReporter {
  constructor(private parse: ParseContext) {}

  /**
   * Runs `build` with issues going to `parse`: an xDS resource is built after the bootstrap,
   * and its problems belong to its own parse (and its NACK), not the bootstrap's.
   */
  reportingTo<T>(parse: ParseContext, build: () => T): T {
    const outer = this.parse;
    this.parse = parse;
    try {
      return build();
    } finally {
      this.parse = outer;
    }
  }

  get count(): number {
    return this.parse.issues.length;
  }

  configIssue(target: object, field: string | undefined, message: string, hint?: string): void {
    const location = this.parse.locationOf(target);
    const fieldLocation = field !== undefined ? location?.fields.get(field) : undefined;
    if (fieldLocation) {
      this.parse.report(fieldLocation.path, fieldLocation.position, message, hint);
      return;
    }
    // The field is absent: name it in the path, point at the message that lacks it.
    const path = location ? (field !== undefined ? childPath(location.path, field) : location.path) : (field ?? '');
    this.parse.report(path, location?.position, message, hint);
  }
}
