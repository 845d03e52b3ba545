package dev.outbox.broker.rabbit.internal;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An AMQP URI ({@code amqp[s]://[user[:password]@]host[:port][/virtual-host]}), parsed strictly after RabbitMQ's URI
 * specification. Every part that is present must parse; nothing falls back to a default silently, unlike {@code
 * java.net.URI}, which reads a host such as {@code rabbit_1} as no host at all.
 *
 * <p>Error messages name the part that is wrong and never quote the URI, which may hold a password.
 *
 * @param tls whether the scheme is {@code amqps}
 * @param host the host name or address (an IPv6 address without its brackets)
 * @param port the port, if the URI gives one
 * @param virtualHost the virtual host, percent-decoded, if the URI has a path
 * @param username the user name, percent-decoded, if the URI has user info
 * @param password the password, percent-decoded, if the URI has one
 */
public record AmqpUri(
        boolean tls,
        String host,
        Optional<Integer> port,
        Optional<String> virtualHost,
        Optional<String> username,
        Optional<String> password) {

    /** A registered name: what DNS and container runtimes use, the underscore included ({@code rabbit_1}). */
    private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9._~-]+");

    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+(%[A-Za-z0-9._~-]+)?");

    /** Characters user info may hold as they are; anything else must be percent-encoded. */
    private static final Pattern USER_INFO = Pattern.compile("[A-Za-z0-9._~!$&'()*+,;=%:-]*");

    /** Characters the path may hold as they are. */
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._~!$&'()*+,;=%:@-]*");

    /** Thrown for a URI that does not parse; its message names the part and never quotes the URI. */
    public static final class Malformed extends Exception {
        private static final long serialVersionUID = 1L;

        Malformed(String message) {
            super(message);
        }
    }

    /**
     * Parses {@code uri}.
     *
     * @throws Malformed naming the part that does not parse
     */
    public static AmqpUri parse(String uri) throws Malformed {
        String lower = uri.toLowerCase(Locale.ROOT);
        boolean tls;
        String rest;
        if (lower.startsWith("amqp://")) {
            tls = false;
            rest = uri.substring("amqp://".length());
        } else if (lower.startsWith("amqps://")) {
            tls = true;
            rest = uri.substring("amqps://".length());
        } else {
            throw new Malformed("must start with amqp:// or amqps://");
        }
        if (rest.indexOf('#') >= 0) {
            throw new Malformed("must not have a fragment ('#'); percent-encode it as %23 in a password");
        }
        if (rest.indexOf('?') >= 0) {
            throw new Malformed("must not have query parameters: set the heartbeat, timeouts and TLS with the"
                    + " builder's own settings (percent-encode a '?' in a password as %3F)");
        }
        int slash = rest.indexOf('/');
        String authority = slash < 0 ? rest : rest.substring(0, slash);
        Optional<String> virtualHost =
                slash < 0 ? Optional.empty() : Optional.of(virtualHost(rest.substring(slash + 1)));

        Optional<String> username = Optional.empty();
        Optional<String> password = Optional.empty();
        int at = authority.indexOf('@');
        String hostPort = authority;
        if (at >= 0) {
            if (authority.indexOf('@', at + 1) >= 0) {
                throw new Malformed("has more than one '@': percent-encode an '@' in the user name or password as %40");
            }
            String userInfo = authority.substring(0, at);
            hostPort = authority.substring(at + 1);
            if (!USER_INFO.matcher(userInfo).matches()) {
                throw new Malformed("has a character in its user info that must be percent-encoded");
            }
            int colon = userInfo.indexOf(':');
            username = Optional.of(decode(colon < 0 ? userInfo : userInfo.substring(0, colon), "user name"));
            if (colon >= 0) {
                password = Optional.of(decode(userInfo.substring(colon + 1), "password"));
            }
        }

        String host;
        String port = null;
        if (hostPort.startsWith("[")) {
            int close = hostPort.indexOf(']');
            if (close < 0) {
                throw new Malformed("has an IPv6 host without its closing ']'");
            }
            host = hostPort.substring(1, close);
            if (!IPV6.matcher(host).matches() || host.indexOf(':') < 0) {
                throw new Malformed("has a bracketed host that is not an IPv6 address");
            }
            String after = hostPort.substring(close + 1);
            if (!after.isEmpty()) {
                if (!after.startsWith(":")) {
                    throw new Malformed("has text after its IPv6 host that is not a port");
                }
                port = after.substring(1);
            }
        } else {
            int colon = hostPort.indexOf(':');
            host = colon < 0 ? hostPort : hostPort.substring(0, colon);
            if (colon >= 0) {
                port = hostPort.substring(colon + 1);
            }
            if (host.isEmpty()) {
                throw new Malformed("names no host");
            }
            if (!HOST_NAME.matcher(host).matches()) {
                throw new Malformed("has a host with a character a host name cannot have (letters, digits, '.', '-',"
                        + " '_' and '~' are allowed; an IPv6 address goes in brackets)");
            }
        }
        return new AmqpUri(
                tls, host, port == null ? Optional.empty() : Optional.of(port(port)), virtualHost, username, password);
    }

    /** Whether {@code host} is a host name or an IP address (IPv6 without brackets) that a URI could name. */
    public static boolean isHost(String host) {
        return host != null
                && (HOST_NAME.matcher(host).matches() || (IPV6.matcher(host).matches() && host.indexOf(':') >= 0));
    }

    private static int port(String text) throws Malformed {
        if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new Malformed("has a port that is not a number from 1 to 65535");
        }
        int port = Integer.parseInt(text);
        if (port < 1 || port > 65535) {
            throw new Malformed("has a port that is not a number from 1 to 65535");
        }
        return port;
    }

    private static String virtualHost(String path) throws Malformed {
        if (!SEGMENT.matcher(path).matches()) {
            throw new Malformed("has a virtual host that is more than one path segment or holds a character that"
                    + " must be percent-encoded (a '/' in its name is %2F)");
        }
        String decoded = decode(path, "virtual host");
        if (decoded.isEmpty()) {
            throw new Malformed("names the empty virtual host (a '/' after the host with nothing after it): leave"
                    + " the path out for the default virtual host '/', or write it as %2F");
        }
        return decoded;
    }

    private static String decode(String text, String part) throws Malformed {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c != '%') {
                bytes.write(c);
                continue;
            }
            if (i + 2 >= text.length()) {
                throw new Malformed("has a '%' in its " + part + " that is not followed by two hex digits");
            }
            int hi = Character.digit(text.charAt(i + 1), 16);
            int lo = Character.digit(text.charAt(i + 2), 16);
            if (hi < 0 || lo < 0) {
                throw new Malformed("has a '%' in its " + part + " that is not followed by two hex digits");
            }
            bytes.write(hi * 16 + lo);
            i += 2;
        }
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray()))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new Malformed("has a " + part + " whose percent-encoded bytes are not UTF-8");
        }
    }

    /** Never shows the password. */
    @Override
    public String toString() {
        return "AmqpUri[" + (tls ? "amqps" : "amqp") + "://" + username.orElse("")
                + (password.isPresent() ? ":****" : "") + (username.isPresent() ? "@" : "") + host
                + port.map(p -> ":" + p).orElse("")
                + virtualHost.map(v -> "/" + v).orElse("") + "]";
    }
}
