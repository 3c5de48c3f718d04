declare const __NODEVOY_VERSION__: string;

/** The CLI's version. */
export const NODEVOY_VERSION: string = __NODEVOY_VERSION__;

/** Envoy's build-version shape: `<build>/<version>/<status>/<type>/<tls>`. */
export const BUILD_VERSION = `nodevoy/${NODEVOY_VERSION}/Clean/RELEASE/node-${process.version}`;
