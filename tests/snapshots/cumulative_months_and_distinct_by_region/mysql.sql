WITH `t29` AS (
  SELECT
    `t24`.`__t`,
    `t24`.`__d_region`,
    SUM(`t24`.`qty` * `t24`.`price` * (
      1 - `t24`.`discount`
    )) AS `__n0`
  FROM (
    SELECT
      `t21`.`qty`,
      `t21`.`price`,
      `t21`.`discount`,
      `t21`.`__k0`,
      `t21`.`__j0`,
      `t21`.`__d_order_date`,
      `t21`.`__k0_0`,
      `t21`.`__j1`,
      `t21`.`__d_region`,
      `t21`.`__d_order_date` AS `__t`
    FROM (
      SELECT
        `t12`.`qty`,
        `t12`.`price`,
        `t12`.`discount`,
        `t12`.`__k0`,
        `t13`.`__j0`,
        `t13`.`__d_order_date`,
        `t13`.`__k0_0`,
        `t19`.`__j1`,
        `t19`.`__d_region`
      FROM (
        SELECT
          `t3`.`qty`,
          `t3`.`price`,
          `t3`.`discount`,
          `t3`.`order_id` AS `__k0`
        FROM `onpace_it_order_lines` AS `t3`
      ) AS `t12`
      LEFT OUTER JOIN (
        SELECT
          `t4`.`id` AS `__j0`,
          `t4`.`order_date` AS `__d_order_date`,
          `t4`.`customer_id` AS `__k0_0`
        FROM `onpace_it_orders` AS `t4`
      ) AS `t13`
        ON `t12`.`__k0` = `t13`.`__j0`
      LEFT OUTER JOIN (
        SELECT
          `t5`.`id` AS `__j1`,
          CAST(`t5`.`region` AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_nopad_bin AS `__d_region`
        FROM `onpace_it_customers` AS `t5`
      ) AS `t19`
        ON `t13`.`__k0_0` = `t19`.`__j1`
    ) AS `t21`
    WHERE
      `t21`.`__d_order_date` <= DATE('2024-12-31')
      AND `t21`.`__d_order_date` >= DATE('2024-01-01')
  ) AS `t24`
  GROUP BY
    1,
    2
), `t34` AS (
  SELECT
    `t30`.`__ap` AS `__p`,
    `t30`.`__d_region`,
    COUNT(DISTINCT `t30`.`__v`) AS `__n3`
  FROM (
    SELECT
      `t8`.`__ap`,
      `t8`.`__ad`,
      `t8`.`__al`,
      `t26`.`__t`,
      `t26`.`__v`,
      `t26`.`__d_region`
    FROM `onpace_windows_0facb55e279e` AS `t8`
    INNER JOIN (
      SELECT
        `t22`.`__d_order_date` AS `__t`,
        `t22`.`customer_id` AS `__v`,
        `t22`.`__d_region`
      FROM (
        SELECT
          `t14`.`customer_id`,
          `t14`.`__d_order_date`,
          `t14`.`__k0`,
          `t20`.`__j0`,
          `t20`.`__d_region`
        FROM (
          SELECT
            `t4`.`customer_id`,
            `t4`.`order_date` AS `__d_order_date`,
            `t4`.`customer_id` AS `__k0`
          FROM `onpace_it_orders` AS `t4`
        ) AS `t14`
        LEFT OUTER JOIN (
          SELECT
            `t5`.`id` AS `__j0`,
            CAST(`t5`.`region` AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_nopad_bin AS `__d_region`
          FROM `onpace_it_customers` AS `t5`
        ) AS `t20`
          ON `t14`.`__k0` = `t20`.`__j0`
      ) AS `t22`
      WHERE
        `t22`.`__d_order_date` <= DATE('2024-12-31')
        AND `t22`.`__d_order_date` >= DATE('2023-01-01')
    ) AS `t26`
      ON `t26`.`__t` >= `t8`.`__al` AND `t26`.`__t` <= `t8`.`__ad`
  ) AS `t30`
  GROUP BY
    1,
    2
), `t37` AS (
  SELECT
    `t32`.`__ap` AS `__p`,
    `t32`.`__d_region`,
    COUNT(DISTINCT `t32`.`__v`) AS `__n5`
  FROM (
    SELECT
      `t8`.`__ap`,
      `t8`.`__ad`,
      `t8`.`__al`,
      `t28`.`__t`,
      `t28`.`__v`,
      `t28`.`__d_region`
    FROM `onpace_windows_0facb55e279e` AS `t8`
    INNER JOIN (
      SELECT
        `t23`.`__d_order_date` AS `__t`,
        IF(CAST(`t23`.`status` AS BINARY) = 'completed', `t23`.`customer_id`, NULL) AS `__v`,
        `t23`.`__d_region`
      FROM (
        SELECT
          `t18`.`customer_id`,
          `t18`.`status`,
          `t18`.`__d_order_date`,
          `t18`.`__k0`,
          `t20`.`__j0`,
          `t20`.`__d_region`
        FROM (
          SELECT
            `t4`.`customer_id`,
            CAST(`t4`.`status` AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_nopad_bin AS `status`,
            `t4`.`order_date` AS `__d_order_date`,
            `t4`.`customer_id` AS `__k0`
          FROM `onpace_it_orders` AS `t4`
        ) AS `t18`
        LEFT OUTER JOIN (
          SELECT
            `t5`.`id` AS `__j0`,
            CAST(`t5`.`region` AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_nopad_bin AS `__d_region`
          FROM `onpace_it_customers` AS `t5`
        ) AS `t20`
          ON `t18`.`__k0` = `t20`.`__j0`
      ) AS `t23`
      WHERE
        `t23`.`__d_order_date` <= DATE('2024-12-31')
        AND `t23`.`__d_order_date` >= DATE('2023-01-01')
    ) AS `t28`
      ON `t28`.`__t` >= `t8`.`__al` AND `t28`.`__t` <= `t8`.`__ad`
  ) AS `t32`
  GROUP BY
    1,
    2
), `t49` AS (
  SELECT
    `t39`.`__ap` AS `__p`,
    `t39`.`__d_region`,
    SUM(COALESCE(`t39`.`__n0`, 0)) AS `__n1`
  FROM (
    SELECT
      `t7`.`__ap`,
      `t7`.`__ad`,
      `t7`.`__al`,
      `t33`.`__t`,
      `t33`.`__d_region`,
      `t33`.`__n0`
    FROM `onpace_windows_c15d3f75ac80` AS `t7`
    INNER JOIN `t29` AS `t33`
      ON `t33`.`__t` >= `t7`.`__al` AND `t33`.`__t` <= `t7`.`__ad`
  ) AS `t39`
  GROUP BY
    1,
    2
)
SELECT
  `t57`.`__p` AS `period`,
  `t57`.`__d_region` AS `region`,
  CAST(`t57`.`__n1` AS DOUBLE) AS `revenue_3m`,
  `t57`.`__n3` AS `buyers_running`,
  `t57`.`__n5` AS `completed_buyers_running`
FROM (
  SELECT
    `t6`.`__p`,
    `t56`.`__d_region`,
    COALESCE(`t48`.`__n0`, 0) AS `__n0`,
    COALESCE(`t53`.`__n1`, 0) AS `__n1`,
    COALESCE(`t43`.`__n3`, 0) AS `__n3`,
    COALESCE(`t46`.`__n5`, 0) AS `__n5`
  FROM `onpace_periods_ab1c8507c377` AS `t6`
  CROSS JOIN (
    SELECT
      *
    FROM (
      SELECT
        `t38`.`__d_region`
      FROM `t37` AS `t38`
      WHERE
        `t38`.`__p` >= DATE('2024-01-01') AND `t38`.`__p` <= DATE('2024-10-01')
    ) AS `t45`
    UNION
    SELECT
      *
    FROM (
      SELECT
        *
      FROM (
        SELECT
          `t50`.`__d_region`
        FROM `t49` AS `t50`
        WHERE
          `t50`.`__p` >= DATE('2024-01-01') AND `t50`.`__p` <= DATE('2024-10-01')
      ) AS `t52`
      UNION
      SELECT
        *
      FROM (
        SELECT
          `t36`.`__d_region`
        FROM `t34` AS `t36`
        WHERE
          `t36`.`__p` >= DATE('2024-01-01') AND `t36`.`__p` <= DATE('2024-10-01')
      ) AS `t42`
    ) AS `t54`
  ) AS `t56`
  LEFT OUTER JOIN (
    SELECT
      `t41`.`__p` AS `__g0p`,
      `t41`.`__d_region` AS `__g0_0`,
      `t41`.`__n0`
    FROM (
      SELECT
        `t35`.`__p`,
        `t35`.`__d_region`,
        SUM(`t35`.`__n0`) AS `__n0`
      FROM (
        SELECT
          `t31`.`__t`,
          `t31`.`__d_region`,
          `t31`.`__n0`,
          MAKEDATE(YEAR(`t31`.`__t`), 1) + INTERVAL (QUARTER(`t31`.`__t`) - 1) QUARTER AS `__p`
        FROM `t29` AS `t31`
        WHERE
          `t31`.`__t` <= DATE('2024-12-31') AND `t31`.`__t` >= DATE('2024-01-01')
      ) AS `t35`
      GROUP BY
        1,
        2
    ) AS `t41`
  ) AS `t48`
    ON `t6`.`__p` = `t48`.`__g0p` AND `t56`.`__d_region` <=> `t48`.`__g0_0`
  LEFT OUTER JOIN (
    SELECT
      `t50`.`__p` AS `__g1p`,
      `t50`.`__d_region` AS `__g1_0`,
      `t50`.`__n1`
    FROM `t49` AS `t50`
  ) AS `t53`
    ON `t6`.`__p` = `t53`.`__g1p` AND `t56`.`__d_region` <=> `t53`.`__g1_0`
  LEFT OUTER JOIN (
    SELECT
      `t36`.`__p` AS `__g2p`,
      `t36`.`__d_region` AS `__g2_0`,
      `t36`.`__n3`
    FROM `t34` AS `t36`
  ) AS `t43`
    ON `t6`.`__p` = `t43`.`__g2p` AND `t56`.`__d_region` <=> `t43`.`__g2_0`
  LEFT OUTER JOIN (
    SELECT
      `t38`.`__p` AS `__g3p`,
      `t38`.`__d_region` AS `__g3_0`,
      `t38`.`__n5`
    FROM `t37` AS `t38`
  ) AS `t46`
    ON `t6`.`__p` = `t46`.`__g3p` AND `t56`.`__d_region` <=> `t46`.`__g3_0`
) AS `t57`
WHERE
  `t57`.`__p` >= DATE('2024-01-01')
