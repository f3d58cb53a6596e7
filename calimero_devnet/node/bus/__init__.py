"""Provides the bus: the Transport seam, its MQTT implementation, the wire format, net rules."""
