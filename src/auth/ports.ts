// What the domain needs from the outside world, as interfaces it owns.

/** Delivers one SMS through the named gateway; rejects with a reason when it cannot. */
export interface SmsSender {
  send(gatewayIdentifier: string, phone: string, message: string): Promise<void>;
}
