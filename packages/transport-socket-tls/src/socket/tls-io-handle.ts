import { connect as tlsConnect, TLSSocket, type SecureContext } from 'node:tls';
import type { Duplex } from 'node:stream';
import {
  DelegatingIoHandle,
  IoHandleDuplex,
  NOOP_IO_CALLBACKS,
  SocketIoHandle,
  socketAddress,
  type Address,
  type IoCloseMode,
  type IoHandle,
  type IoHandleCallbacks,
  type ReleasedSocket,
  type SslConnectionInfo,
  type TransportClosed,
} from '@nodevoy/core';
import type { ContextSet } from '../context/context-set.js';
import type { SslStats } from '../stats.js';
import { verifyPeer, type VerifyOutcome } from '../verify/peer-verifier.js';
import { sslConnectionInfo } from './ssl-info.js';

/** What one TLS connection is set up with. */
export interface TlsSetup {
  readonly side: 'server' | 'client';
  /** The contexts now; undefined while no certificate is available (an SDS secret not yet read). */
  readonly contexts: ContextSet | undefined;
  readonly alpn: readonly string[];
  readonly stats: SslStats;
  /** Server: ask for a client certificate. */
  readonly requestCertificate: boolean;
  /** Server: refuse a client without one. */
  readonly requireCertificate: boolean;
  /** Client: the server name to send (SNI). */
  readonly serverName?: string;
  /** Client: a session to resume, and where to keep the next one. */
  readonly session?: Buffer;
  readonly onSession?: (session: Buffer) => void;
}

/**
 * A TLS connection over another transport, as an IoHandle (Envoy's SslSocket). On a kernel
 * socket, node:tls takes over the socket's native handle (OpenSSL reads and writes it directly);
 * over an internal listener's in-process pair it speaks through a Duplex. A client reports
 * `onConnected` once the handshake finished and the peer passed verification; a failed handshake
 * or verification closes it with Envoy's `TLS_error:|...` reason and counts it in `ssl.*`.
 */
export class TlsIoHandle extends DelegatingIoHandle {
  /** The socket below is TLS's own: nothing above may take it over, nor put bytes back. */
  override readonly releaseSocket?: () => ReleasedSocket = undefined;
  override readonly unread = undefined;
  private owner: IoHandleCallbacks = NOOP_IO_CALLBACKS;
  /** The plaintext side, once the TLS socket exists (at once for a server, on connect for a client). */
  private plain: SocketIoHandle | undefined;
  private tls: TLSSocket | undefined;
  private established: SslConnectionInfo | undefined;
  /** The secure context the handshake uses: the default, or the one the server name chose. */
  private context: SecureContext | undefined;
  private handshakeDone = false;
  private failure: string | undefined;
  /** A verification failure was counted under its own ssl.* name (not as a connection error). */
  private verifyFailureCounted = false;
  private local: Address;
  private remote: Address;
  private drainThreshold = 0;
  private readEnabled = true;
  private readonly establishedWaiters: (() => void)[] = [];

  constructor(
    inner: IoHandle,
    private readonly setup: TlsSetup,
  ) {
    super(inner);
    this.local = inner.localAddress;
    this.remote = inner.remoteAddress;
    if (setup.side === 'server') this.start();
  }

  override get kind(): string {
    return 'tls';
  }

  override get localAddress(): Address {
    return this.local;
  }

  override get remoteAddress(): Address {
    return this.remote;
  }

  override get pendingWriteBytes(): number {
    return this.plain?.pendingWriteBytes ?? 0;
  }

  override get bufferedReadBytes(): number {
    return this.plain?.bufferedReadBytes ?? 0;
  }

  get ssl(): SslConnectionInfo | undefined {
    return this.established;
  }

  override setCallbacks(callbacks: IoHandleCallbacks): void {
    this.owner = callbacks;
  }

  whenEstablished(callback: () => void): void {
    if (this.established) callback();
    else this.establishedWaiters.push(callback);
  }

  override connect(): void {
    this.start();
  }

  override write(chunk: Buffer): void {
    this.plain?.write(chunk);
  }

  override shutdownWrite(): void {
    this.plain?.shutdownWrite();
  }

  override close(mode: IoCloseMode): void {
    if (this.plain) this.plain.close(mode);
    else this.inner.close(mode);
  }

  override setReadEnabled(enabled: boolean): void {
    this.readEnabled = enabled;
    this.plain?.setReadEnabled(enabled);
  }

  override setDrainThreshold(bytes: number): void {
    this.drainThreshold = bytes;
    this.plain?.setDrainThreshold(bytes);
  }

  private start(): void {
    const { setup } = this;
    const contexts = setup.contexts;
    const released = this.inner.releaseSocket?.();
    let transport: Duplex;
    if (released) {
      transport = released.socket;
      // Connecting first gives the socket its native handle, which node:tls then wraps.
      if (setup.side === 'client' && released.connectTo) released.socket.connect(released.connectTo);
    } else {
      const duplex = new IoHandleDuplex(this.inner);
      transport = duplex;
      if (setup.side === 'client') duplex.connect();
    }
    const secureContext: SecureContext | undefined = contexts?.default;
    this.context = secureContext;
    const tls =
      setup.side === 'server'
        ? new TLSSocket(transport, {
            isServer: true,
            ...(secureContext ? { secureContext } : {}),
            requestCert: setup.requestCertificate,
            // Only a missing certificate is refused in the handshake (OpenSSL's FAIL_IF_NO_PEER_CERT,
            // as Envoy); the chain and everything else are checked once it is done.
            rejectUnauthorized: setup.requireCertificate,
            ALPNProtocols: [...setup.alpn],
            ...(contexts?.choosesByName ? { SNICallback: (name: string, done: (err: Error | null, ctx?: SecureContext) => void) => done(null, (this.context = contexts.forServerName(name))) } : {}),
          })
        : tlsConnect({
            socket: transport,
            ...(secureContext ? { secureContext } : {}),
            ...(setup.serverName ? { servername: setup.serverName } : {}),
            ALPNProtocols: [...setup.alpn],
            ...(setup.session ? { session: setup.session } : {}),
            rejectUnauthorized: false,
            // Envoy checks names only as configured (SAN matchers), never by default.
            checkServerIdentity: () => undefined,
          });
    this.tls = tls;
    tls.on('error', (err: NodeJS.ErrnoException) => this.onTlsError(err));
    if (setup.onSession) tls.on('session', setup.onSession);
    tls.once(setup.side === 'server' ? 'secure' : 'secureConnect', () => this.onHandshake(tls));
    if (!contexts) this.fail('TLS_error:|no certificate available:TLS_error_end');
    const plain = new SocketIoHandle(tls, { local: this.local, remote: this.remote });
    plain.setDrainThreshold(this.drainThreshold);
    if (!this.readEnabled) plain.setReadEnabled(false);
    plain.setCallbacks({
      onConnected() {},
      onData: (chunk) => this.owner.onData(chunk),
      onEndOfStream: () => this.owner.onEndOfStream(),
      onWriteDrained: () => this.owner.onWriteDrained(),
      onClosed: (closed) => this.onClosed(closed),
    });
    this.plain = plain;
  }

  private onHandshake(tls: TLSSocket): void {
    this.handshakeDone = true;
    const { setup } = this;
    const outcome: VerifyOutcome = verifyPeer(tls, setup.contexts?.validation, setup.requireCertificate);
    if (outcome.failure) {
      setup.stats[outcome.failure].inc();
      this.verifyFailureCounted = true;
    }
    if (!outcome.accepted) {
      this.fail(`TLS_error:|CERTIFICATE_VERIFY_FAILED:${outcome.reason ?? ''}:TLS_error_end`);
      return;
    }
    if (setup.side === 'server' && !outcome.presented) setup.stats.no_certificate.inc();
    setup.stats.handshake.inc();
    if (tls.isSessionReused()) setup.stats.session_reused.inc();
    const sni = setup.side === 'server' ? (typeof tls.servername === 'string' ? tls.servername : '') : (setup.serverName ?? '');
    const info = sslConnectionInfo(tls, outcome, sni, this.context);
    setup.stats.negotiated(info.ciphersuite, info.tlsVersion);
    this.established = info;
    for (const waiter of this.establishedWaiters.splice(0)) waiter();
    if (setup.side === 'client') {
      if (tls.localAddress !== undefined && tls.localPort !== undefined) this.local = socketAddress(tls.localAddress, tls.localPort);
      this.owner.onConnected();
    }
  }

  /** The handshake or the verification failed: closed with the reason Envoy would log. */
  private fail(reason: string): void {
    this.failure ??= reason;
    this.tls?.destroy();
  }

  private onTlsError(err: NodeJS.ErrnoException): void {
    if (this.handshakeDone) return;
    if (err.code === 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE') {
      this.setup.stats.fail_verify_no_cert.inc();
      this.verifyFailureCounted = true;
    }
    this.failure ??= `TLS_error:|${err.code ?? ''}:${err.message.replace(/^error:[0-9A-F]+:/, '')}:TLS_error_end`;
  }

  private onClosed(closed: TransportClosed): void {
    if (!this.handshakeDone || this.established === undefined) {
      // Envoy counts a failed handshake as a connection error unless a verification counter already took it.
      if (!this.verifyFailureCounted) this.setup.stats.connection_error.inc();
      this.owner.onClosed({ reset: closed.reset, reason: this.failure ?? closed.reason });
      return;
    }
    this.owner.onClosed(closed);
  }
}
